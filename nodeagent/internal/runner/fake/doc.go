// Package fake is a runner.Runner for tests of the agent and of the whole
// system: it runs no processes, but interprets each step's script in a tiny
// language and behaves like a real runner towards the job directory
// (logs/<step>.log, result.json, workspace/, artifacts.tar.gz), Cancel,
// RunJob.timeout, Resume and runner.Detacher.
//
// The language: one command per line; blank lines and lines starting with
// '#' are skipped; the first word is the command, the rest its argument.
//
//	echo TEXT      writes TEXT and a newline
//	print "Q"      writes a Go-quoted string without a newline ("\x1b[31m" etc.)
//	bytes N        writes N bytes: Bytes(N), 63 letters/digits/'.' then '\n', repeated
//	sleep D        waits D (a Go duration such as 100ms, or seconds: 1.5)
//	hang           waits until the job is cancelled, times out or is detached
//	gate NAME      waits until Runner.OpenGate(NAME) (a test's synchronisation point)
//	env NAME       writes NAME=VALUE (the step's environment: HEARTH_*, CI, RunJob.env)
//	               or "NAME is not set"
//	write PATH TEXT  writes TEXT and a newline to workspace/PATH (for artifacts)
//	fail [N]       ends the step with exit code N (default 1)
//	exit [N]       ends the step with exit code N (default 0)
//
// A step ends with exit code 0 after its last line. A bad argument writes a
// "fake: …" line and ends the step with 2; an unknown command with 127,
// like bash's "command not found". Step 0 (checkout) writes one line naming
// the commit and the clone URL (never the clone token), or "no clone URL:
// checkout skipped".
//
// Bookkeeping lives in <dir>/fake/: meta.json (start time: the deadline
// survives a Resume) and exit-<step> (each finished step's exit code). A
// Resume re-runs the first unfinished step from its start but writes only
// the output beyond what its log already holds; the language is
// deterministic, so every byte is in the log exactly once. A job is
// in-process: Detach (or an agent's death) stops it where it is.
package fake
