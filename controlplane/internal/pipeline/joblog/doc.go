// Package joblog stores job logs: in PostgreSQL while a job runs, in S3
// once it has finished, with live fan-out to followers on every replica
// through Redis pub/sub.
//
// A log is a byte stream per (job, step); step 0 is the checkout, then one
// per script step. Node agents send chunks at byte offsets and resend after
// a reconnect, so Append keeps only contiguous bytes: per (job, step) it
// stores the end offset (every byte before it is stored) and, under that
// row's lock, treats a chunk ending at or before the end as a duplicate, a
// chunk straddling the end as new bytes from the end on, and a chunk
// starting after the end as a gap. A gap stores nothing and is not an
// error: Append returns the current end, the gateway acknowledges it, and
// the agent resends from there — which is exactly what it must do anyway.
//
// Finish seals the log (appends are refused from then on, with a
// FailedPrecondition error), copies each step to S3 at
// logs/<job-id>/<step>.log, then marks the log finished and deletes the
// chunks in one transaction. Every step of it can run again, so a Finish
// that crashed half-way is completed by calling Finish again.
//
// Live fan-out: after each commit Append publishes the stored piece
// (step, offset, bytes) on the Redis channel hearth:joblog:<job-id>, and
// Finish publishes an end marker. Redis may lose messages, so they are
// only hints: Follow subscribes first, then reads what is stored, then
// forwards live pieces that continue exactly where it is and re-reads the
// store whenever one does not (a missed message), on the end marker, and
// every ResyncInterval in case the end marker itself was lost.
//
// Redis failing degrades a follower, never ends it: when its subscription
// cannot be made or breaks (the subscription says so; it does not
// reconnect silently), Follow re-reads the store every PollInterval and
// tries to subscribe again at each of them; once subscribed it reads the
// store once more and is live again. After a failed publish, Append skips
// publishing for a PollInterval, so that Redis's timeouts do not slow the
// agents' log shipping while followers poll anyway. A store read that
// fails transiently (PostgreSQL restarting) is retried every PollInterval
// for up to two minutes before Follow returns the error.
package joblog
