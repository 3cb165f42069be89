// Package otlpconv turns decoded OTLP export requests (traces, logs,
// metrics) into the rows of package record, and is where ingest enforces
// its per-item limits. It owns:
//
//   - tenancy: a row's Project is always the authenticated tenant, never a
//     value the sender chose; every attribute whose key starts with
//     "hearth." is removed from what the sender sent (the namespace is
//     Hearth's, stamped only by trusted callers through Tenant.Resource);
//   - bounds: attribute counts, key and value sizes, log bodies, span
//     events and exemplars are capped (Limits), so one item's cost does not
//     depend on what its sender claims;
//   - the time window: an item whose timestamp is beyond now+MaxFuture or
//     before now-MaxPast is refused, so a sender cannot open storage
//     partitions in year 9999 or 1970;
//   - value rendering: OTLP's typed values become strings once, here
//     (record's package comment says why);
//   - accounting: everything refused or altered is counted in Drops, which
//     the OTLP handlers report as partial success and export as metrics.
//
// It does no I/O and keeps no state: the functions are pure and safe for
// concurrent use. Package promwrite reuses Tenant, Limits and Drops so that
// both ingest paths apply one set of rules.
//
// Rows share memory: all rows converted from one OTLP resource share one
// Resource map, a summary's _sum and _count rows share their Labels, and
// ids, histogram bounds and bucket counts alias the request's slices. Rows and the request are therefore read-only once
// converted; nothing downstream (WAL, Parquet writer, query) mutates them.
package otlpconv
