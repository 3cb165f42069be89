// Package store owns the PostgreSQL connection pool, schema migrations and
// the mapping of driver errors to the sentinels features return
// (ErrNotFound, ErrConflict, ErrInvalid). Features own their tables and
// queries; this package knows none of them.
package store
