package store

import (
	"errors"
	"fmt"
	"net"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
)

// Sentinels every query's error is mapped to (see DB and InTx). They are
// apperr errors, so the one classifier answers them with their kind and
// the generic message below; a feature that can say which row was missing
// rewords them (apperr.IfNotFound). Compare with errors.Is.
var (
	// ErrNotFound: the row does not exist (or is not visible to the caller).
	ErrNotFound = &apperr.Error{Kind: apperr.KindNotFound, Message: "not found"}
	// ErrConflict: a uniqueness or reference rule would be broken.
	ErrConflict = &apperr.Error{Kind: apperr.KindConflict, Message: "already exists"}
	// ErrInvalid: a check constraint or type rule rejected the value.
	ErrInvalid = &apperr.Error{Kind: apperr.KindInvalid, Message: "invalid value"}
)

// PostgreSQL SQLSTATE codes mapped below.
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
	codeExclusionViolation  = "23P01"
	codeCheckViolation      = "23514"
	codeNotNullViolation    = "23502"
	codeInvalidText         = "22P02"
	codeStringTooLong       = "22001"
)

// mapError is the one place driver errors become sentinels (DB, the
// transactions of InTx and their rows call it). It keeps the original
// error in the chain (errors.Is and errors.As see the driver's error too),
// passes other errors through unchanged, and leaves an error it mapped
// already as it is.
func mapError(err error) error {
	if err == nil || errors.Is(err, ErrNotFound) || errors.Is(err, ErrConflict) || errors.Is(err, ErrInvalid) {
		return err
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case codeUniqueViolation, codeForeignKeyViolation, codeExclusionViolation:
			return fmt.Errorf("%w (%s): %w", ErrConflict, pgErr.ConstraintName, err)
		case codeCheckViolation, codeNotNullViolation, codeInvalidText, codeStringTooLong:
			return fmt.Errorf("%w: %w", ErrInvalid, err)
		}
	}
	return err
}

// ConnectError shortens pgx's connection errors to their cause, so that
// "database unreachable" is followed by one readable line rather than every
// address pgx tried.
func ConnectError(err error) error {
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return opErr
	}
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) {
		if inner := errors.Unwrap(connErr); inner != nil {
			return inner
		}
	}
	return err
}
