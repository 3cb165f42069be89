// Package supervisor runs the control plane's background workers.
//
// A [Worker] is a name and a Run function. [Supervisor.Run] starts every
// worker it is given in its own goroutine and keeps it running:
//
//   - a panic is recovered, logged with its stack, counted in
//     hearth_worker_panics_total, and the worker is restarted after a
//     backoff delay;
//   - an error return is logged and the worker is restarted after a backoff
//     delay; the delay grows with consecutive failures (see
//     [backoff.Policy]) and the attempt counter resets once a run has lasted
//     at least [Deps.HealthyAfter];
//   - a nil return while the context is still live means the worker is done:
//     it is not restarted;
//   - when the context is cancelled no worker is restarted, and Run returns
//     only after every worker has returned.
//
// Workers must return promptly once their context is cancelled; Run waits
// for them without a deadline (the caller owns the shutdown deadline).
//
// A Supervisor holds no per-run state: one value may serve several
// concurrent Run calls (the server's workers and each leadership term of
// the leader package). Metrics (hearth_worker_panics_total,
// hearth_worker_restarts_total, hearth_worker_running, all labelled by
// worker) are registered once per registry; constructing a second
// Supervisor against the same registry reuses the collectors already there.
package supervisor
