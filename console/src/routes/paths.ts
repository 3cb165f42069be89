// paths: the console's URLs, in one place.
export const paths = {
  home: "/",
  signIn: "/sign-in",
  projects: "/projects",
  changePassword: "/change-password",
  // Console pages that are not a project's live under "/-/": no owner can
  // be named "-", so they never collide with "/{owner}/{name}".
  tokens: "/-/tokens",
  admin: "/-/admin",
  notifications: "/-/notifications",
  notificationSettings: "/-/notifications/settings",
} as const;

// projectPath is a project's page, or one of its tabs ("issues", …) or
// deeper pages ("issues/12") under "/{owner}/{name}/-/".
export function projectPath(owner: string, name: string, sub?: string): string {
  const base = `/${encodeURIComponent(owner)}/${encodeURIComponent(name)}`;
  return sub ? `${base}/-/${sub}` : base;
}

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
