// Package process is the runner that runs jobs as local processes (the
// default of `hearth dev` and of the tests). See package runner for the
// lifecycle every runner follows; this is how this one does it.
//
// Start writes into <dir>/process/ a bash wrapper (wrapper.sh) and one file
// per step (step-<n>.sh), then starts ONE process, `bash wrapper.sh`, as a
// new session and process group (setsid), with a clean environment: the
// base (PATH and LANG unless Options.BaseEnv says otherwise), the job's
// own HOME=<dir>/home and TMPDIR=<dir>/tmp (created empty, 0700: nothing an
// earlier job left in a home directory reaches this one), plus
// HEARTH_JOB_ID, HEARTH_PIPELINE_ID, HEARTH_PROJECT, HEARTH_COMMIT_SHA,
// HEARTH_REF and CI=true. The agent's own variables never reach a job.
// With Options.JobUIDBase it runs as the job's own user (see Isolation).
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
//     and the variable holding it is unset before the first step. The
//     checkout's git reads no system or global configuration
//     (GIT_CONFIG_NOSYSTEM=1, GIT_CONFIG_GLOBAL=/dev/null) and runs no hooks
//     or fsmonitor (-c core.hooksPath=/dev/null -c core.fsmonitor=false),
//     so nothing written by an earlier job runs while the token is in its
//     environment. With no clone_url, step 0 only logs that the checkout was
//     skipped.
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
// the exit files, artifacts are archived in the agent (runner.WriteArtifacts,
// bounded by Cancel, the deadline and Detach), result.json is written and
// Done closes.
//
// Cancel and the timeout (deadline = meta.json's start time + timeout, so
// it survives restarts) send SIGTERM to the whole process group, SIGKILL
// after the grace, wait until no process of the group is left, and append
// a "hearth: …" line to the running step's log. A process that left the
// group (its own setsid) escapes this; containing it needs cgroups or a
// container per job (the kubernetes runner, not built yet).
//
// Resume: with result.json, that result. With the wrapper alive, the job
// is watched again with the same deadline. With the wrapper gone, the
// result comes from the exit files (all steps run: success or the failing
// step) or is FAILURE runner.MsgLost; leftovers are then killed only if
// their environment carries the job's HEARTH_JOB_ID, since the group id
// may have been reused while nobody watched.
//
// # Isolation
//
// Without Options.JobUIDBase (the default), a job runs as the agent's own
// user: it can read and write everything the agent can, its credential
// (<data-dir>/identity.json) and the other jobs' directories included, and
// it can leave processes behind (a double fork with setsid) that watch
// later jobs. Its private HOME and TMPDIR and the checkout's ignoring of
// git configuration only stop accidents and leftovers from one job's
// files reaching the next checkout; they are no boundary. Like GitLab's
// shell executor, this is for trusted code only (your own projects on
// your own machine, `hearth dev`). Isolation will come with the
// kubernetes runner, which is not built yet.
//
// With Options.JobUIDBase and the agent running as root, the wrapper (and
// so the checkout and every step) runs as uid = gid = JobUIDBase+slot with
// no supplementary groups; slot is the lowest one that no other directory
// in <data-dir>/jobs is marked with (the group of a job directory) and no
// live process runs as (/proc), chosen under a lock, so two jobs of the
// agent never share an id, across agent restarts included, and an id a
// finished job's stray process still uses is not handed out again. The
// job directory becomes:
//
//	<dir>/               root:gid 0710  enter only
//	  job.json, result.json, artifacts.tar.gz, the session's files   root 0600
//	  logs/, process/    root:gid 0750  fixed entries, pre-created: the job
//	    <step>.log, exit-<step>  uid 0600  writes them but cannot swap them
//	                                    for symlinks the agent would follow
//	    wrapper.sh, step-<n>.sh  root:gid 0640; meta.json root 0600
//	  workspace/ home/ tmp/  uid 0700
//
// and <data-dir> and <data-dir>/jobs get o+x (searchable, not listable;
// directories above them must already be searchable), so a job reaches
// its directory by absolute path but cannot read identity.json (root 0600),
// list the data directory, or enter another job's directory. A job can
// still see the machine's other processes (ps), use the network, fill the
// disk and read whatever the machine lets any user read; containing that
// takes containers (the kubernetes runner, not built yet).
//
// Known limits: Unix only (and /proc, i.e. Linux, for the start-time and
// zombie checks and the used-id scan); agents sharing a machine need
// disjoint job uid ranges.
package process
