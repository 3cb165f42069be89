// Package leader runs hashicorp/raft across the control plane replicas and
// the leader-only workers (reconcilers, periodic jobs) on the elected
// leader.
//
// # What it owns
//
//   - the Raft node of this replica: its state under DataDir/raft (raft.db,
//     a raft-boltdb/v2 file holding the log and the stable store, and
//     snapshots/), its TCP transport on BindAddr, and its logs, which go to
//     the injected zerolog logger (prefixed "raft:");
//   - the replicated state machine: Deps.FSM, a no-op one by default;
//   - the leader-only workers registered with Register, run under a
//     supervisor (panics recovered, failures restarted with backoff);
//   - the metrics hearth_leader_is_leader, hearth_leader_epoch and
//     hearth_leader_terms_total.
//
// # Lifecycle
//
// New validates Deps and opens nothing. Register adds leader-only workers;
// it must be called before Run. Run opens raft.db and the listener; on a
// fresh data directory it bootstraps a cluster of this replica alone (a
// single replica elects itself at once), on an existing one it resumes
// from the stored state. Run then follows leadership until ctx is
// cancelled; then it stops the workers, shuts Raft down and closes the
// transport and raft.db before returning. A Service runs once; build a new
// one (on the same DataDir) to restart.
//
// Each time this node becomes leader:
//
//  1. it issues a Raft barrier, so every entry of earlier terms is applied;
//  2. it records the term as its epoch in PostgreSQL (Deps.Epochs, keyed
//     by the Raft cluster's id kept in raft.db), retrying until it can; a
//     newer epoch found there means it was deposed meanwhile and starts
//     nothing; IsLeader and Epoch report the epoch from now on;
//  3. it starts the registered workers with a context that carries the
//     epoch (EpochFrom, and store.EpochFrom for the fencing token) and is
//     cancelled when leadership is lost or Run stops.
//
// # Fencing
//
// Every transaction a worker runs with store.DB.InTx under its context is
// fenced: it first calls the SQL function hearth_fence, which takes a
// share lock on the cluster's leader_epochs row and raises unless the
// recorded epoch is still the worker's own (store.ErrFenced). A new
// leader's record waits for the old leader's fenced transactions in
// flight, so once it has taken over no write of the old term commits,
// even from a deposed leader that has not noticed yet. Replicas that are
// not joined into one Raft cluster have different cluster ids and do not
// fence each other.
//
// Recording also numbers the takeover (store.Epoch.Takeover, one sequence
// for every cluster sharing the database): commands for node agents carry
// that number (store.CommandEpoch), and an agent drops a command older than
// the newest number it has seen.
//
// When leadership is lost, IsLeader turns false at once and the workers'
// context is cancelled; the next term does not start until every worker of
// the previous one has returned. Workers must therefore return promptly on
// cancellation, rebuild their state from PostgreSQL when they start, be
// idempotent (a deposed leader may still be finishing while the new one
// starts) and make their writes in fenced transactions (see Fencing).
//
// Readiness: Ready is nil when Raft runs and knows a leader, whichever
// replica it is; WaitLeader blocks until then (and, on the leader itself,
// until its workers started).
//
// Multi-replica clusters: peers are not joined yet. The API above does not
// depend on the cluster size; joining will add fields to Deps (e.g. the
// peers to join) without changing the existing ones. The address
// advertised to peers is AdvertiseAddr, or the bound address; when it
// changes across restarts, the leader updates its own entry in the Raft
// configuration.
package leader
