// Package logmask masks secret values in job logs. It owns which forms of
// a secret are masked (the value, its lines, its base64 and URL-encoded
// forms: New), how matches are chosen (leftmost, then longest, never
// overlapping, each replaced by Mask) and the two ways of applying them:
//
//   - Stream, on the node agent, before a log leaves the machine: the log
//     arrives in pieces of any size, and the output does not depend on
//     how it was cut.
//   - Masker.Overwrite, on the control plane, over stored bytes: same-length
//     replacement by '*', for logs that reached it unmasked (a job resumed
//     by an agent that restarted and no longer knows the values).
//
// Both binaries import it, so it depends only on the standard library. The
// matcher is an Aho–Corasick automaton: one pass over the log whatever the
// number of patterns (a job with a hundred secrets has about a thousand).
//
// # Why a Stream holds bytes back
//
// The agent ships each step's log as chunks at byte offsets of the MASKED
// stream, acknowledged by the control plane and resent from the
// acknowledged offset after a reconnect, so what it has sent can never
// change. A byte that might still be the start of a secret (the log so far
// ends with a prefix of a pattern) cannot be sent before the next bytes
// decide it. Stream.Write returns only decided bytes and keeps back at most
// HoldBack (the longest pattern's length minus one) raw bytes, which bounds
// what the agent keeps unsent while a job runs; Flush, at the end of the
// log, releases them. Consumed says which raw offset the output so far
// stands for, so an agent that restarts can continue from it and produce
// exactly the rest of the same masked stream.
package logmask
