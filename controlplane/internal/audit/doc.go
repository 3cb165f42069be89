// Package audit owns the append-only audit log. Every mutation of every
// feature writes one row through Record, in the same transaction as the
// mutation, so the log never misses a change nor records one that did not
// happen. Admins list and filter it.
package audit
