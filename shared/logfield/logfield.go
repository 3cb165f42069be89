// Package logfield defines, once, the names of structured log fields so every
// package of both binaries logs the same thing under the same key.
package logfield

// Field names used with zerolog's Str, Int, Err and friends.
const (
	Component   = "component"
	RequestID   = "request_id"
	Procedure   = "procedure"
	Method      = "method"
	Path        = "path"
	Status      = "status"
	Code        = "code"
	Duration    = "duration"
	Worker      = "worker"
	Attempt     = "attempt"
	Backoff     = "backoff"
	Address     = "address"
	URL         = "url"
	Version     = "version"
	Migration   = "migration"
	NodeID      = "node_id"
	Epoch       = "epoch"
	PID         = "pid"
	File        = "file"
	Bucket      = "bucket"
	User        = "user"
	RemoteAddr  = "remote_addr"
	Stage       = "stage"
	PanicValue  = "panic"
	Stack       = "stack"
	ServerValue = "server"
	// Pipelines and node agents.
	JobID      = "job_id"
	AgentID    = "agent_id"
	ClusterID  = "cluster_id"
	ArtifactID = "artifact_id"
	Step       = "step"
)
