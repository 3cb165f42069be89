// Package cluster owns clusters, the join tokens that admit node agents
// into them, the registered agents and their credentials.
//
// Secrets: a join token is "hjt_" and a credential "hac_", each followed by
// 32 random bytes in base64url; only their SHA-256 is stored, and lookups go
// through the hash's unique index, so no secret is ever compared in Go.
//
// Register consumes one use of a join token and creates the agent and its
// first credential in one transaction. RotateCredential keeps the presented
// credential valid for an overlap (Deps.CredentialOverlap) so two are valid
// meanwhile; revoking an agent refuses all its credentials at once.
// AuthenticateAgent is what the agent gateway calls for every request.
//
// The agent gateway (Gateway, AgentService) holds the node agents' Connect
// streams on this replica, following the lifecycle in agent.proto: the
// credential is checked before any message is read, Hello is validated,
// the Hello's labels are added to the cluster's (never overriding one the
// cluster sets), then Welcome,
// Jobs.Reconcile's commands and a Claim. Per stream the handler goroutine
// receives and stores (Jobs.Status, Jobs.AppendLog, Jobs.Heartbeat, each
// acknowledged once stored), one goroutine sends everything from the
// stream's queue, and one keeps time: heartbeats, the end after three
// silent intervals, Drain at the jittered maximum age, and Claims (after
// Welcome, after a final status, on WakeAll; coalesced). A newer stream of
// the same agent replaces the older one. A stream is ended by closing its
// request body (Receive has no other way out) and, if a Send stays blocked
// on a peer that stopped reading, by resetting the HTTP/2 stream: hence
// Gateway.Handler, which hands both to the call. UploadArtifact pipes the
// data messages into Jobs.UploadArtifact without buffering the archive.
//
// The pipeline package drives the gateway through WakeAll and Cancel, and
// the gateway drives the job queue through the Jobs interface defined here,
// in the queue's own types (the jobs leaf package): the gateway is the one
// place they are converted to and from hearth.agent.v1 messages
// (gateway_convert.go).
//
// How a cancel reaches its agent, whichever replica holds the stream: the
// cancelling transaction marks the job (cancel_requested_at) and runs
// pg_notify('hearth_jobs', 'cancel:<agent>:<job>'); every replica's
// pipeline listener (RunListener) hears it and calls Cancel, which queues
// CancelJob only where the agent's stream is held and is a no-op on the
// other replicas. A notification lost (listener reconnecting, replica
// restarting) is made up for by the stream's own bookkeeping: every
// Heartbeat answer and every Reconcile (after Hello) carry CancelJob for
// the agent's running jobs whose cancellation was requested, so the agent
// gets it again within a heartbeat interval. Nothing records which replica
// holds which agent, and nothing is forwarded between replicas: the Redis
// registry and internal forwarding listener of DESIGN.md are not built;
// the broadcast and the re-send stand in for them.
package cluster
