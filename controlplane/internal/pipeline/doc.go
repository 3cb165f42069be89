// Package pipeline owns CI pipelines: triggers (pushes, manual runs,
// schedules, retries), the job queue node agents take work from, the job
// DAG and its state machine, commit statuses, the PipelineService API and
// the plain-HTTP log and artifact downloads. Its sub-packages parse
// .hearth.yml (spec), store logs (joblog) and artifacts (artifact).
//
// Data model: a pipeline is one run of a commit's .hearth.yml; a job row is
// ONE attempt of one job. A retry (automatic by the job's retry count, or
// RetryJob / RetryPipeline) inserts a new row with attempt+1 and marks the
// old one superseded, which keeps its state for the record but no longer
// counts for the pipeline's state. Job states:
//
//	created ──needs all succeeded──▶ pending ──Claim──▶ running ──agent──▶ success | failure | cancelled | timed_out
//	created ──a need did not succeed──▶ skipped
//	created | pending ──cancel──▶ cancelled;  running ──cancel──▶ (cancel_requested_at, agent stops it) ▶ cancelled
//
// A pipeline's state derives from its current jobs (state.go): running
// while any job is created, pending or running, then failure if any failed
// or timed out, else cancelled if any was cancelled, else success. An
// invalid .hearth.yml creates a pipeline in state failure whose error holds
// the parser's line/column message and which has no jobs: a push never
// fails silently.
//
// Locking: every change to a pipeline's jobs locks the pipeline row first,
// then job rows, so concurrent statuses, cancellations, retries and the
// reaper serialise per pipeline and never deadlock. Claim locks only
// pending job rows (FOR UPDATE SKIP LOCKED) under a per-agent advisory
// lock, so concurrent claims never assign a job twice nor exceed an
// agent's capacity.
//
// Wake-ups: a transaction that queues work runs pg_notify('hearth_jobs',
// 'queued'); cancelling a running job notifies 'cancel:<agent>:<job>'. The
// listener (every replica, RunListener) turns them into Agents.WakeAll and
// Agents.Cancel on the agent gateway; no polling loop takes jobs.
//
// Liveness: the gateway calls Heartbeat for the jobs an agent reports; the
// leader-only reaper (RunReaper) re-queues running jobs whose heartbeat is
// older than a grace period and that the agent never acknowledged, fails
// acknowledged ones ("the agent running the job went away", the retry
// policy applies) and cancels those whose cancellation was requested.
//
// Logs: a final JobStatus is stored only when the stored log holds every
// byte the agent reports (log_lengths); the log is then finished (moved to
// S3) after the state is committed, so a follower that sees the log end
// reads the final state. A failed Finish is answered with an error: the
// agent resends the status, which finds the job ended and finishes again.
package pipeline
