// Package runner defines how the node agent runs a job (the Runner and
// Handle interfaces, the Result) and the job-directory helpers its runners
// share. Implementations: runner/process (local processes; `hearth dev` and
// tests), runner/fake (tests; an agent binary holds it only when built with
// -tags hearthfake), later runner/kubernetes.
//
// # The job directory
//
// Each job has <data-dir>/jobs/<job-id>/ (0700), created by the session:
//
//	job.json          the RunJob without its clone token (session; written before
//	                  Start; the token reaches Start in memory only)
//	logs/<step>.log   each step's output, append-only (runner, or the processes it
//	                  started); step 0 is the checkout, RunJob.steps[i] is step i+1
//	workspace/        the checkout, the steps' working directory (runner)
//	home/, tmp/       the job's private $HOME and $TMPDIR (process runner)
//	artifacts.tar.gz  after successful steps, if RunJob.artifact_paths (runner)
//	result.json       how the job ended, written atomically (runner; WriteResult)
//	<kind>/           the runner's own bookkeeping (process/, fake/)
//	anything else     the session's (acked.json, status.json, …): runners never touch it
//
// Secrets (RunJob.files, RunJob.secret_env) are never in the job directory:
// job.json leaves them out, and each runner keeps them in memory (tmpfs, a
// pod's memory volume) for the job's steps, which find the files in
// $HEARTH_SECRETS_DIR.
//
// Agent-written lines in a log (cancellation, timeout, artifact warnings)
// start with "hearth: ", on a line of their own.
//
// # Lifecycle
//
//  1. The session writes job.json, then calls Start(ctx, job, dir). ctx
//     bounds only the start: the job then runs until it ends or is
//     cancelled, whatever happens to ctx. Start returns once the job runs
//     (so the session may acknowledge it); on error nothing runs.
//  2. The job runs its checkout (step 0), then its steps in order; the
//     first failing step ends it (FAILURE, Step, ExitCode, "exit status N").
//     After the last step succeeded, the runner archives artifact_paths
//     (WriteArtifacts: patterns that match nothing or are refused are
//     warnings in the last step's log, never failures). Archiving is part
//     of the job: Cancel and the deadline end it like a step (CANCELLED or
//     TIMED_OUT, Step = the last step, no archive).
//  3. Cancel(reason) (idempotent; the first reason wins) ends a running job
//     CANCELLED with Message = reason: the job's whole process tree gets
//     SIGTERM, then SIGKILL after a grace. RunJob.timeout (0: none), counted
//     from the start time recorded in the job directory, ends it TIMED_OUT
//     "timed out after 10m0s" the same way. A job whose steps (and
//     archiving) all finished before the cancel or deadline keeps its own
//     outcome.
//  4. The runner writes result.json, then closes Done; Result is valid from
//     then on and no runner writes into the directory any more.
//  5. Agent restart: the new agent's session calls Resume(ctx, job, dir) for
//     each job directory without an acknowledged final status. A job with
//     result.json is Done at once with that result; a job whose processes
//     still run is watched again (same deadline); a job whose processes are
//     gone gets its result from what they recorded or, if they ended
//     mid-way, FAILURE MsgLost.
//  6. Agent stop: a handle may be detached (Detacher) so the job is left to
//     a later Resume; Done then never closes.
//
// Handles are safe for concurrent use.
package runner
