// Package artifact stores the files jobs upload (build outputs, reports):
// the bytes in S3 at artifacts/<project-id>/<job-id>/<artifact-id>, a row
// per artifact in PostgreSQL, and an expiry worker that deletes both once
// an artifact's time is up.
//
// Put spools the upload to a temporary file first, bounded by MaxBytes, so
// that the size and SHA-256 are known before anything is stored and an
// oversized or broken upload leaves nothing behind; the object is then
// uploaded with its known size and recorded last. A second Put of the same
// (job, name) replaces the first: its row goes in the same transaction,
// its object right after.
//
// An expired artifact is gone for readers at once (NotFound) even before
// the worker has deleted it. The worker deletes an object before its row,
// so a crash in between only leaves a row the next run finishes; two
// leaders running it at once delete the same things twice, harmlessly.
//
// Known gap: a crash between the upload and the row's insert leaves an
// object no row points to (Objects cannot list, so nothing finds it).
package artifact
