// Package localsvc starts the real servers Hearth depends on — PostgreSQL,
// Redis and an S3 server (versitygw's POSIX backend) — as child processes,
// for `hearth dev` and for tests, so that both run the same client code
// paths as production instead of fakes.
//
// Each Start function takes a directory that holds the server's files,
// waits until the server answers, and returns a handle whose Stop shuts it
// down (gracefully, then SIGKILL when the context ends). The context given to
// Start bounds only the start (one minute when it has no deadline); the
// server runs until Stop.
//
// Children are started in their own process group, so a terminal's Ctrl-C
// reaches only hearth, which then stops them in order; and with a
// parent-death signal, so a hearth that is killed outright does not leave
// them running. (Linux delivers that signal when the OS thread that started
// the child exits; the Go runtime does not retire threads unless a goroutine
// exits while locked to one, which Hearth does not do.)
//
// Servers listen only where nobody else can reach them: PostgreSQL on a unix
// socket in a private directory, Redis and S3 on 127.0.0.1 with a free port.
// Their output never reaches the terminal raw: every line goes to the
// injected logger at debug level, and the last lines are quoted in the error
// when a server fails to start.
//
// PostgreSQL refuses to run as root. When hearth runs as root, initdb and
// postgres run as the "postgres" system user (through the exec credential,
// not runuser, so signals reach the postmaster itself); the directory must
// then be reachable by that user.
package localsvc
