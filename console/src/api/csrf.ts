// The session's CSRF token. Login returns it once; the server keeps only a
// hash, so the console remembers it here (the session cookie itself is
// HttpOnly). localStorage, not memory: it must survive a reload and be
// shared by every tab of the same session.
const key = "hearth.csrfToken";

export function getCsrfToken(): string | null {
  try {
    return window.localStorage.getItem(key);
  } catch {
    return null;
  }
}

export function setCsrfToken(token: string | null): void {
  try {
    if (token) {
      window.localStorage.setItem(key, token);
    } else {
      window.localStorage.removeItem(key);
    }
  } catch {
    // Storage disabled: mutations will ask to sign in again.
  }
}
