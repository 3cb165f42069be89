package apperr

import (
	"errors"
	"fmt"
)

// Kind classifies an error the way an API caller needs to act on it.
type Kind int

// Kinds, each answered with one Connect code and HTTP status (see Classify).
// The last three are only given by Classify, to errors no feature words.
const (
	KindInvalid            Kind = iota + 1 // bad input: fix the request
	KindNotFound                           // no such thing (or not visible to you)
	KindConflict                           // already exists or changed concurrently
	KindUnauthenticated                    // sign in first
	KindPermissionDenied                   // signed in, not allowed
	KindFailedPrecondition                 // the resource's state forbids it
	KindResourceExhausted                  // limits or rate limits: retry later
	KindUnavailable                        // a dependency is down: retry later
	KindCanceled                           // the caller went away (context.Canceled)
	KindDeadlineExceeded                   // the request ran out of time (context.DeadlineExceeded)
	KindInternal                           // anything else: a bug or a failure the caller cannot act on
)

// Error is an error whose Message is safe to show to the caller.
type Error struct {
	Kind    Kind
	Message string
	// Cause is logged, never shown.
	Cause error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return e.Message + ": " + e.Cause.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Cause }

func newf(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...)}
}

// Invalid reports bad input.
func Invalid(format string, args ...any) *Error { return newf(KindInvalid, format, args...) }

// NotFound reports a missing resource.
func NotFound(format string, args ...any) *Error { return newf(KindNotFound, format, args...) }

// Conflict reports a uniqueness or concurrency conflict.
func Conflict(format string, args ...any) *Error { return newf(KindConflict, format, args...) }

// Unauthenticated reports a missing or invalid credential.
func Unauthenticated(format string, args ...any) *Error {
	return newf(KindUnauthenticated, format, args...)
}

// PermissionDenied reports a signed-in caller lacking a permission.
func PermissionDenied(format string, args ...any) *Error {
	return newf(KindPermissionDenied, format, args...)
}

// FailedPrecondition reports an operation the resource's state forbids.
func FailedPrecondition(format string, args ...any) *Error {
	return newf(KindFailedPrecondition, format, args...)
}

// ResourceExhausted reports a limit reached.
func ResourceExhausted(format string, args ...any) *Error {
	return newf(KindResourceExhausted, format, args...)
}

// Unavailable reports a dependency that is down.
func Unavailable(cause error, format string, args ...any) *Error {
	e := newf(KindUnavailable, format, args...)
	e.Cause = cause
	return e
}

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
