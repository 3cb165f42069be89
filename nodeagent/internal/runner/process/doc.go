// Package process is the runner that runs jobs as local processes (the
// default of `hearth dev` and of the tests). See package runner for the
// lifecycle every runner follows; this is how this one does it.
//
// Start writes into <dir>/process/ a bash wrapper (wrapper.sh) and one file
// per step (step-<n>.sh), then starts ONE process, `bash wrapper.sh`, as a
// new session and process group (setsid), with a clean environment: the
// base (PATH, HOME, LANG unless Options.BaseEnv says otherwise) plus
// HEARTH_JOB_ID, HEARTH_PIPELINE_ID, HEARTH_PROJECT, HEARTH_COMMIT_SHA,
// HEARTH_REF and CI=true. The agent's own variables never reach a job.
// It records the wrapper (pid = process group id, its start time, the boot
// id) and the job's start time and timeout in process/meta.json, and only
// then gives the wrapper its go-ahead: the clone token, as the first line
// of its stdin.
//
// The wrapper does everything else by itself, so the job outlives the
// agent (a `kill -9` of the agent leaves it running):
//
//   - step 0, the checkout into workspace/: `git init`, `git fetch` of
//     exactly RunJob.commit_sha from clone_url (falling back to fetching
//     RunJob.ref if the server refuses a bare commit id), `git checkout
//     --detach`. The token reaches git only as the http.extraHeader
//     "Authorization: Bearer …" through GIT_CONFIG_COUNT/KEY_0/VALUE_0
//     exported to the checkout's subshell: never in argv, a file or the log,
//     and the variable holding it is unset before the first step. With no
//     clone_url, step 0 only logs that the checkout was skipped.
//   - step i+1 for RunJob.steps[i]: `bash -e -o pipefail step-<i+1>.sh` in
//     workspace/, stdin /dev/null, stdout and stderr appended straight to
//     logs/<i+1>.log (the agent never sits in the output's path), with
//     RunJob.env exported on top of the wrapper's environment.
//   - after each step, its exit code into process/exit-<step> ("N\n"); the
//     first non-zero one ends the wrapper.
//
// The handle watches the wrapper: as its parent (Start) through wait(2);
// after Resume, by polling /proc/<pid>/stat (pid, start time, not a
// zombie) every Options.PollInterval. When the wrapper has exited, any
// process left in its group (a step's background job) is terminated too
// (SIGTERM, SIGKILL after Options.KillGrace), the result is derived from
// the exit files, artifacts are archived in the agent (runner.WriteArtifacts),
// result.json is written and Done closes.
//
// Cancel and the timeout (deadline = meta.json's start time + timeout, so
// it survives restarts) send SIGTERM to the whole process group, SIGKILL
// after the grace, wait until no process of the group is left, and append
// a "hearth: …" line to the running step's log. A process that left the
// group (its own setsid) escapes this; containing it needs cgroups or the
// kubernetes runner.
//
// Resume: with result.json, that result. With the wrapper alive, the job
// is watched again with the same deadline. With the wrapper gone, the
// result comes from the exit files (all steps run: success or the failing
// step) or is FAILURE runner.MsgLost; leftovers are then killed only if
// their environment carries the job's HEARTH_JOB_ID, since the group id
// may have been reused while nobody watched.
//
// Known limits: Unix only (and /proc, i.e. Linux, for the start-time and
// zombie checks); every job runs as the agent's user, so a step can read
// the job directory's other files (job.json holds the short-lived,
// read-only clone token).
package process
