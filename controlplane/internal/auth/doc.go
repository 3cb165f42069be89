// Package auth owns users and their passwords (argon2id). The identity
// issue extends it with sessions, API tokens and login throttling; for now
// it creates the first administrator of a new installation.
package auth
