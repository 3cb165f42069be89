// Package apperr is the user-safe error type features return from their
// services, and the one classifier (Classify) every writer of an error
// answer uses: the Connect interceptor, the REST transcoder, the plain-HTTP
// downloads and git's smart HTTP. An *Error's message is shown to the
// caller as is; the store's sentinels (ErrNotFound, ErrConflict, ErrInvalid)
// are *Errors too, so "not found" has one vocabulary: KindNotFound.
// Anything else is internal, answered with a generic message; its cause is
// logged, never shown.
package apperr
