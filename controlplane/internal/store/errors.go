package store

import (
	"errors"
	"fmt"
	"net"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Sentinels features return (wrapped) and the API layer maps to codes.
var (
	// ErrNotFound: the row does not exist (or is not visible to the caller).
	ErrNotFound = errors.New("not found")
	// ErrConflict: a uniqueness or reference rule would be broken.
	ErrConflict = errors.New("conflict")
	// ErrInvalid: a check constraint or type rule rejected the value.
	ErrInvalid = errors.New("invalid value")
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

// MapError is the one place driver errors become sentinels. It keeps the
// original error in the chain (errors.Is works for both) and passes other
// errors through unchanged.
func MapError(err error) error {
	if err == nil {
		return nil
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
