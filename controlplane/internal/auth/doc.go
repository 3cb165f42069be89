// Package auth owns users, their passwords (argon2id), browser sessions,
// personal API tokens and sign-in throttling, and turns a request's
// credentials (session cookie, Bearer token, Basic with a token or a
// password) into an access.Principal. Being an administrator is a role binding
// owned by rbac; auth reaches it through the small Roles interface. rbac in
// turn asks whether a user is active through UserStatus, a reader of the
// users table built before rbac, so neither waits for the other.
//
// Secrets (session cookies, CSRF tokens, API tokens) are 32 random bytes;
// only their SHA-256 hashes are stored, and lookups compare hashes through a
// unique index, so no secret is ever compared byte by byte in Go.
package auth
