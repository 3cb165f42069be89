package apperr

import (
	"context"
	"errors"
	"net/http"

	"connectrpc.com/connect"
)

// Class is how an error is answered, whatever the protocol.
type Class struct {
	Kind Kind
	// Code and Status are the Connect code and the HTTP status (the Connect
	// protocol's, which REST answers and downloads share).
	Code   connect.Code
	Status int
	// Message is safe to show to the caller.
	Message string
	// Log is what the writer logs, never shows: the whole error of an
	// internal one, the Cause of a user-safe one; nil when there is none.
	Log error
}

// Internal says whether the error is one the caller cannot act on (logged
// as an error, not a warning).
func (c Class) Internal() bool { return c.Kind == KindInternal }

type answer struct {
	code   connect.Code
	status int
}

var answers = map[Kind]answer{
	KindInvalid:            {connect.CodeInvalidArgument, http.StatusBadRequest},
	KindNotFound:           {connect.CodeNotFound, http.StatusNotFound},
	KindConflict:           {connect.CodeAlreadyExists, http.StatusConflict},
	KindUnauthenticated:    {connect.CodeUnauthenticated, http.StatusUnauthorized},
	KindPermissionDenied:   {connect.CodePermissionDenied, http.StatusForbidden},
	KindFailedPrecondition: {connect.CodeFailedPrecondition, http.StatusBadRequest},
	KindResourceExhausted:  {connect.CodeResourceExhausted, http.StatusTooManyRequests},
	KindUnavailable:        {connect.CodeUnavailable, http.StatusServiceUnavailable},
	KindCanceled:           {connect.CodeCanceled, statusClientClosedRequest},
	KindDeadlineExceeded:   {connect.CodeDeadlineExceeded, http.StatusGatewayTimeout},
	KindInternal:           {connect.CodeInternal, http.StatusInternalServerError},
}

// statusClientClosedRequest is the Connect protocol's status for canceled
// (nginx's 499: the client closed the request).
const statusClientClosedRequest = 499

// Classify is the one place an error is classified. An *Error in err's
// chain (a feature's, or a store sentinel) gives its kind and message;
// context cancellation and deadlines are told apart; anything else is
// internal, with a generic message and err to log. Classify(nil) is the
// zero Class.
func Classify(err error) Class {
	if err == nil {
		return Class{}
	}
	if e, ok := As(err); ok {
		if a, ok := answers[e.Kind]; ok {
			return Class{Kind: e.Kind, Code: a.code, Status: a.status, Message: e.Message, Log: e.Cause}
		}
	}
	switch {
	case errors.Is(err, context.Canceled):
		return classOf(KindCanceled, "request cancelled", nil)
	case errors.Is(err, context.DeadlineExceeded):
		return classOf(KindDeadlineExceeded, "deadline exceeded", nil)
	}
	return classOf(KindInternal, "internal error", err)
}

func classOf(k Kind, msg string, log error) Class {
	a := answers[k]
	return Class{Kind: k, Code: a.code, Status: a.status, Message: msg, Log: log}
}

// KindOf is err's kind as Classify gives it (0 for nil).
func KindOf(err error) Kind { return Classify(err).Kind }

// IfNotFound names what is missing: when err is of kind NotFound (a
// store's ErrNotFound for a row the caller named, or another feature's
// NotFound) it returns a NotFound saying msg; any other err comes back
// unchanged.
func IfNotFound(err error, msg string) error {
	if err != nil && KindOf(err) == KindNotFound {
		return NotFound("%s", msg)
	}
	return err
}
