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
// id), the job's start time and timeout, and the path of its secrets
// directory in process/meta.json, writes the secret files (see Secrets),
// and only then gives the wrapper its go-ahead on its stdin: the clone
// token as the first line, then the secret variables' values.
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
//     RunJob.env, then HEARTH_SECRETS_DIR and RunJob.secret_env, exported
//     on top of the wrapper's environment.
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
// # Secrets
//
// A job's secrets (RunJob.secret_env and RunJob.files) never touch the
// agent's disk in the clear, never appear in a process's argv and are
// never logged by the agent. Why not the simple ways: a file in the job
// directory is on disk (and in backups of the data directory); argv and
// the wrapper's initial environment are readable in /proc by every
// process of the job's user, the checkout included, for the wrapper's
// whole life.
//
//   - Secret variables travel with the token: after the token's line, each
//     value (in sorted name order) ended by a NUL byte, which
//     runner.ValidateJob refuses in values; newlines, quotes, '$' and
//     backslashes pass unchanged (bash's read, with -r, an empty IFS and
//     NUL as its delimiter). The wrapper keeps them in unexported shell
//     variables, so neither the checkout's commands nor
//     /proc/<wrapper>/environ see them, and exports them in each step's
//     subshell only, after RunJob.env (a secret wins over an env variable
//     of the same name), in one export, so that no name the job chose can
//     change another's value. The wrapper file names the variables, never
//     holds their values.
//   - Secret files are written by the agent, not the script, into a
//     directory of their own, <secrets dir>/hearth-<job id>-<random>
//     (0700, files 0400; with a job user, owned by it), which the steps
//     find in $HEARTH_SECRETS_DIR (set for jobs with files only, and not
//     for the checkout). The secrets dir is Options.SecretsDir or
//     /dev/shm, and must be a tmpfs or ramfs (statfs): a job with files
//     on an agent without one is refused, its secrets written nowhere.
//     The directory's path is in meta.json before the directory exists,
//     so whichever agent ends the job removes it: the handle does when the
//     job ends, however it ends, and Resume does for a job it finds ended.
//     A tmpfs may be swapped out; a machine with swap should encrypt it.
//
// The steps' output (which may print a secret) is written raw to the step
// logs; the session masks the values before the log leaves the machine.
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
// and the job's secrets directory (outside it, on tmpfs) and files are
// the job user's (0700, 0400).
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
