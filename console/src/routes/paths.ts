// paths: the console's URLs, in one place.
export const paths = {
  home: "/",
  signIn: "/sign-in",
  projects: "/projects",
  changePassword: "/change-password",
} as const;

// signInPath returns the sign-in URL that comes back to `next` afterwards.
export function signInPath(next?: string): string {
  if (!next || next === paths.home || next.startsWith(paths.signIn)) {
    return paths.signIn;
  }
  return `${paths.signIn}?next=${encodeURIComponent(next)}`;
}

// safeNext accepts only a path on this site as the place to go after
// signing in (never "//evil.example" or "https://…").
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) {
    return paths.projects;
  }
  return next;
}
