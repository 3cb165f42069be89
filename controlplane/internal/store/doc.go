// Package store owns the PostgreSQL connection pool, schema migrations and
// the mapping of driver errors to the sentinels features return
// (ErrNotFound, ErrConflict, ErrInvalid). Features own their tables and
// queries; this package knows none of them.
//
// # Transactions
//
// A transaction is always an explicit pgx.Tx parameter, never a value
// carried in a context. DB.InTx opens one and hands it to its function;
// whatever must commit or roll back with that change takes the tx as an
// argument, whichever feature it belongs to: audit.Record(ctx, tx, …),
// rbac's CreateBindingTx and SetAdmin, sqlc's Queries.WithTx(tx).
// A call that takes no tx runs in a transaction of its own (or none), so
// the signature alone says what a call joins. Work that must wait for the
// commit (invalidating the permission cache, waking a worker) is done by
// the caller once InTx has returned nil. A context carries only
// request-scoped values (the principal, the leadership epoch that InTx
// fences with), never the tx itself.
package store
