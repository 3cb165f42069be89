package leader

import (
	"io"

	"github.com/hashicorp/raft"
)

// noopFSM is the state machine used when Deps.FSM is nil: the log carries
// only Raft's own entries (configuration, barriers) for now.
type noopFSM struct{}

func (noopFSM) Apply(*raft.Log) any                 { return nil }
func (noopFSM) Snapshot() (raft.FSMSnapshot, error) { return noopSnapshot{}, nil }
func (noopFSM) Restore(r io.ReadCloser) error       { return r.Close() }

type noopSnapshot struct{}

func (noopSnapshot) Persist(sink raft.SnapshotSink) error { return sink.Close() }
func (noopSnapshot) Release()                             {}
