// The scopes a personal access token may carry (docs/identity.md).
export const tokenScopes = [
  { value: "read-only", label: "read-only", help: "Read everything you can read; change nothing." },
  { value: "repo:read", label: "repo:read", help: "Clone and fetch repositories." },
  { value: "repo:write", label: "repo:write", help: "Clone, fetch and push." },
  { value: "api", label: "api", help: "Everything you may do, but administration." },
  { value: "admin", label: "admin", help: "Administration too (administrators only)." },
] as const;

// The expiries offered, in days (the server allows at most a year).
export const tokenExpiries = [
  { value: "7", label: "7 days" },
  { value: "30", label: "30 days" },
  { value: "90", label: "90 days" },
  { value: "365", label: "1 year" },
] as const;
