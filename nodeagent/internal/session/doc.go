// Package session is the node agent's side of the agent protocol
// (proto/hearth/agent/v1/agent.proto and registration.proto, whose
// comments are normative): identity, the Connect stream, jobs, log
// shipping, statuses and artifact uploads. A Session is built with New and
// run once with Run(ctx).
//
// # Lifecycle
//
//  1. Data directory. <data-dir> and <data-dir>/jobs are created 0700
//     (tightened to 0700 if they exist with wider modes).
//  2. Identity (package identity). With identity.json present the join
//     token is ignored (logged). Without it, Register is called with the
//     join token, retried only on UNAVAILABLE, DEADLINE_EXCEEDED and
//     RESOURCE_EXHAUSTED with jittered backoff; anything else is final
//     (UNAUTHENTICATED wraps identity.ErrUnauthenticated). The identity is
//     written (0600, atomically, fsynced) before anything else happens.
//  3. Jobs on disk. Every jobs/<id>/ with a job.json is picked up: a job
//     whose final status is recorded and unacknowledged only waits to
//     resend it; any other is resumed with Runner.Resume (a Resume error
//     fails the job). A directory without a readable job.json was never
//     acknowledged and is removed, so the control plane's resend of the
//     RunJob is not ignored because of it.
//  4. Stream. HTTP/2 only: h2c (prior knowledge) for http:// URLs, TLS with
//     ALPN for https://. Every call carries `Authorization: Bearer hac_…`
//     read from the identity at call time. The agent opens Connect, sends
//     Hello (protocol 1, capacity, labels, runner kind, agent version and
//     the id of every job it holds, running or finishing) and waits up to
//     Tuning.WelcomeTimeout for Welcome. Then it sends every unacknowledged
//     status and the logs from the acknowledged offsets.
//  5. Heartbeats every Welcome.heartbeat_interval, carrying the held job
//     ids. A stream from which nothing (of any kind) was heard for three
//     intervals is ended by the agent.
//  6. Reconnecting. After Drain the agent ends the stream and reconnects at
//     once. After any other end it waits Tuning.Backoff (jittered,
//     exponential); the attempt count resets after a stream that reached
//     Welcome and lived Tuning.StableAfter (one minute). UNAUTHENTICATED,
//     at any point, is final: Run returns an error wrapping
//     identity.ErrUnauthenticated and the agent exits (no loop). So are
//     FAILED_PRECONDITION and INVALID_ARGUMENT answering a Hello.
//  7. Credential rotation (identity.Rotator) every Deps.RotateEvery after
//     the credential was issued, concurrently with the stream: the new
//     credential is on disk before it is used; failures are retried with
//     the credential still held (valid during the overlap);
//     UNAUTHENTICATED is final as above.
//  8. Stop. When ctx ends, Run closes the stream, waits for every goroutine
//     it started and detaches every job handle (runner.Detacher): jobs keep
//     running in their own process groups and the next Run on the same
//     data directory resumes them. Run returns nil then.
//
// # Jobs
//
// RunJob: a job id the agent holds (or whose directory exists) is ignored:
// RunJob is idempotent. An invalid job (runner.ValidateJob; the id must be
// a plain file name) or one beyond Deps.Capacity (MsgAtCapacity) is refused
// with a FAILURE status the agent does not record: if it is lost, the
// control plane sends the RunJob again and gets the same answer. Otherwise
// the agent creates jobs/<id>/ (0700), writes job.json (protojson, 0600,
// synced), calls Runner.Start, and only then records and sends JobStatus
// RUNNING, which acknowledges the RunJob. A Start error fails the job
// ("starting the job failed: …", also written to step 0's log).
//
// Telemetry: with Deps.OTLPEndpoint set (the agent's OTLP receiver is on),
// a RunJob with a clone token that sets no OTEL_EXPORTER_OTLP_* variable
// itself is handed to the runner with OTEL_EXPORTER_OTLP_ENDPOINT and
// OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf in env and
// OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20<clone token> in
// secret_env (telemetry.go): job.json leaves it out like every secret, and
// the log masks it, the token alone too. AgentService gives other parts of
// the agent (the OTLP forwarder) the session's AgentService client once
// Run has the identity.
//
// CancelJob calls Handle.Cancel(reason) (idempotent); the job's final
// status (usually CANCELLED with that reason) follows the usual path. A
// CancelJob for a job the agent does not hold gets no answer: the control
// plane acks statuses of jobs that are not the agent's and cancels them,
// so answering would ping-pong.
//
// Epochs: the session keeps the newest leadership epoch it has seen in a
// Welcome or a CancelJob, across streams, for the life of the process. A
// CancelJob stamped with an older epoch was issued by a control-plane
// leader that has since been deposed: it is dropped (logged, not
// answered); the current leader's view reaches the agent anyway through
// heartbeats and reconciliation. Epoch 0 is unstamped and always obeyed.
//
// When the runner is Done: a SUCCESS with Result.Artifacts uploads the
// archive (UploadArtifact: a header, then Tuning.UploadChunk data
// messages), retrying transient failures with backoff; a refusal
// (INVALID_ARGUMENT, NOT_FOUND, PERMISSION_DENIED, FAILED_PRECONDITION,
// RESOURCE_EXHAUSTED, …) fails the job "uploading the artifacts failed: …".
// Then, once every byte of every step's log is acknowledged, the final
// status (state, step, exit code, message, log_lengths) is written to
// status.json and sent. It is resent on every new stream and, on the same
// stream, after Tuning.ResendAfter without an ack (the control plane does
// not ack a status it failed to store). JobStatusAck of that state removes
// the job directory.
//
// # Logs and offsets
//
// The runner appends each step's output to logs/<step>.log; that file (or,
// for a job with secrets, its masked copy: see Masking) is the durable
// buffer, and offsets are byte positions in it. While a job is held, the
// agent checks its logs every
// Tuning.PollInterval (20ms) and sends LogChunk{job, step, offset, data}
// of at most Tuning.ChunkSize (1 MiB, the protocol's limit), in order per (job, step), with at
// most Tuning.Window (4 MiB) unacknowledged bytes in flight for the whole
// agent, round-robin over jobs. A step's chunks are sent only once every
// earlier step of the job is acknowledged, so the control plane stores
// steps in order even when a chunk is lost and resent (followers resume at
// a (step, offset) and get later steps from their start). LogAck.offset is
// the stored end of the step:
//
//   - offset > acknowledged: progress; if it is past what this stream sent
//     (an older stream's bytes), sending skips ahead to it.
//   - offset ≤ acknowledged while bytes past it are in flight: the control
//     plane refused a chunk (a gap) or failed to store one. The agent
//     resends from offset, once per offset: the refusals of the chunks sent
//     before the resend carry the same offset and are ignored.
//   - no ack for Tuning.ResendAfter while bytes are in flight (a chunk the
//     control plane failed to store and did not answer): resend from the
//     acknowledged offset.
//
// A new stream starts each step from its acknowledged offset. Acknowledged
// offsets are written to acked.json at most every Tuning.AckedFlush; a
// stale file only causes duplicates after a restart, which the control
// plane drops by offset.
//
// Deps.MaxJobLogBytes (1 GiB) bounds a job's log over all steps (the bytes
// shipped: masked ones for a job with secrets): beyond it the job is
// cancelled and fails MsgLogLimitExceeded; every step's length is frozen so
// the total is exactly the limit, and the bytes beyond are never sent
// (log_lengths say the frozen lengths).
//
// # Masking
//
// A RunJob's secret values (every value of files and secret_env) never
// leave the machine in a log: when they give the job anything to mask
// (package shared/logmask; values shorter than logmask.MinLen do not), the
// session ships masked copies instead of the runner's logs, and every
// offset (LogChunk.offset, LogAck, acked.json, log_lengths, the log limit)
// counts bytes of the masked stream. Runners are not in this path: the
// process runner's steps write their logs themselves and outlive the agent.
//
// Before job.json, the session writes masked.json (synced) and creates
// masked/. From then on, every poll, before sizes are read, a pump feeds
// what the runner appended to logs/<n>.log through the step's
// logmask.Stream and appends the output to masked/<n>.log, then records in
// masked.json, per step, the raw bytes consumed and the copy's length. Only
// recorded bytes are shipped. A stream keeps back at most
// Masker.HoldBack raw bytes that may still start a secret; a step's are
// released once a later step has output (so steps are still stored in
// order) and all of them once the job ended. A poll copies at most 16 MiB
// of a running job; the end of a job is copied whole.
//
// After a restart (the agent crashed or stopped), each copy is cut back to
// its recorded length and continued from its recorded raw offset: bytes
// written past the record are written again, none is lost or sent twice.
// masked.json and the copies are not synced (the ordering survives the
// agent's death; a host crash also ends the job's processes); a copy found
// shorter than its record goes on from its length, losing those bytes. The
// values themselves are never on disk (job.json leaves them out), so the
// new agent cannot mask: the rest of a resumed job's log, bytes kept back
// by the old agent included, is copied unmasked, and the control plane
// masks it on arrival (logmask.Masker.Overwrite). A job without secrets
// ships logs/<n>.log directly, with no copy; so does an adopted job (its
// RunJob comes without values).
//
// # Files the session owns in a job directory
//
//	job.json     the RunJob (protojson) without the clone token, files and
//	             secret_env, written before Start
//	status.json  {"status": <protojson JobStatus>, "acked": bool}: the newest status
//	acked.json   {"acked": [per step offset]}
//	masked.json  {"steps": [{"raw": n, "masked": n}]}: how far each masked copy
//	             got (jobs with secrets only; its presence says the logs are
//	             shipped from the copies, also after a restart)
//	masked/      <step>.log (0600): the masked copies that are shipped
//
// # Concurrency
//
// One goroutine (Run's) owns all job and stream state: it handles received
// messages, job ends, upload results, heartbeats and log polls, and queues
// outgoing messages (statuses and heartbeats before log chunks). Per
// stream, one goroutine sends (the only caller of Send; it takes one
// message at a time from Run's goroutine) and one receives. Helper
// goroutines only report to Run's goroutine through channels: one dial at a
// time, one waiter per job handle, one per artifact upload (uploads may run
// concurrently with the stream and with each other), and the credential
// rotator (never two rotations at once).
package session
