package gatewaytest

import (
	"errors"
	"maps"
	"slices"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
)

// Send queues msg on the newest open stream and reports whether there was
// one.
func (s *Server) Send(msg *agentv1.ConnectResponse) bool {
	s.mu.Lock()
	var st *stream
	if n := len(s.streams); n > 0 {
		st = s.streams[n-1]
	}
	s.mu.Unlock()
	return st != nil && st.enqueue(msg, 0)
}

// RunJob sends RunJob on the newest stream.
func (s *Server) RunJob(job *agentv1.RunJob) bool {
	return s.Send(&agentv1.ConnectResponse{Msg: &agentv1.ConnectResponse_RunJob{RunJob: job}})
}

// CancelJob sends CancelJob on the newest stream.
func (s *Server) CancelJob(jobID, reason string) bool {
	return s.Send(&agentv1.ConnectResponse{Msg: &agentv1.ConnectResponse_CancelJob{CancelJob: &agentv1.CancelJob{JobId: jobID, Reason: reason}}})
}

// Drain sends Drain on the newest stream and ends it shortly after, as the
// control plane does at a stream's maximum age.
func (s *Server) Drain(reason string) bool {
	s.mu.Lock()
	var st *stream
	if n := len(s.streams); n > 0 {
		st = s.streams[n-1]
	}
	s.mu.Unlock()
	if st == nil || !st.enqueue(&agentv1.ConnectResponse{Msg: &agentv1.ConnectResponse_Drain{Drain: &agentv1.Drain{Reason: reason}}}, 0) {
		return false
	}
	go func() {
		t := time.NewTimer(time.Second)
		defer t.Stop()
		select {
		case <-st.stop:
		case <-t.C:
			st.end(nil)
		}
	}()
	return true
}

// Drop ends every open stream with UNAVAILABLE and closes every client
// connection, as a crashed replica or a cut network would.
func (s *Server) Drop() {
	s.endStreams(connect.NewError(connect.CodeUnavailable, errors.New("gatewaytest: connection dropped")))
	s.ts.CloseClientConnections()
}

// RevokeAll makes every credential fail with UNAUTHENTICATED from now on
// and ends every open stream with it.
func (s *Server) RevokeAll() {
	s.mu.Lock()
	for _, a := range s.agents {
		a.revoked = true
	}
	s.notifyLocked()
	s.mu.Unlock()
	s.endStreams(connect.NewError(connect.CodeUnauthenticated, errors.New("the agent was revoked")))
}

func (s *Server) endStreams(cause error) {
	s.mu.Lock()
	streams := slices.Clone(s.streams)
	s.mu.Unlock()
	for _, st := range streams {
		st.end(cause)
	}
}

// FailRegister makes the next Register calls fail with codes, in order.
func (s *Server) FailRegister(codes ...connect.Code) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.registerFail = append(s.registerFail, codes...)
}

// FailUploads makes the next UploadArtifact calls fail with codes, in order.
func (s *Server) FailUploads(codes ...connect.Code) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.uploadFail = append(s.uploadFail, codes...)
}

// SetAckStatuses turns JobStatusAck on (the default) or off.
func (s *Server) SetAckStatuses(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ackStatuses = on
}

// SetAckDelay delays every LogAck and JobStatusAck by d (acks lag; their
// order is kept).
func (s *Server) SetAckDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ackDelay = d
}

// SetChunkHook decides what happens to each LogChunk (nil: Store). The hook
// runs on the stream's goroutine without the server's lock.
func (s *Server) SetChunkHook(h func(c *agentv1.LogChunk) ChunkAction) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chunkHook = h
}

// SetSilent stops (or resumes) the server's heartbeats.
func (s *Server) SetSilent(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.silent = on
}

// Stats counts what the server saw.
type Stats struct {
	RegisterCalls, RotateCalls, Uploads int
	// Connects counts streams that got past authentication and Hello.
	Connects, OpenStreams int
	Heartbeats            int
	Chunks                int
	Duplicates, Gaps      int // chunks dropped as duplicates, refused as gaps
	StatusAcks            int
}

// Stats returns the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Stats{
		RegisterCalls: s.registerCalls, RotateCalls: s.rotateCalls, Uploads: s.uploads,
		Connects: s.connects, OpenStreams: len(s.streams), Heartbeats: len(s.heartbeats),
		Chunks: len(s.chunks), Duplicates: s.duplicates, Gaps: s.gaps, StatusAcks: s.statusAcks,
	}
}

// Hellos returns every Hello received, oldest first.
func (s *Server) Hellos() []*agentv1.Hello {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneAll(s.hellos)
}

// Heartbeats returns every agent heartbeat received, oldest first.
func (s *Server) Heartbeats() []*agentv1.Heartbeat {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneAll(s.heartbeats)
}

// Statuses returns every status received for jobID, oldest first.
func (s *Server) Statuses(jobID string) []*agentv1.JobStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*agentv1.JobStatus
	for _, st := range s.statuses {
		if st.GetJobId() == jobID {
			out = append(out, proto.CloneOf(st))
		}
	}
	return out
}

// LastStatus returns the newest status received for jobID, or nil.
func (s *Server) LastStatus(jobID string) *agentv1.JobStatus {
	st := s.Statuses(jobID)
	if len(st) == 0 {
		return nil
	}
	return st[len(st)-1]
}

// Chunks returns every log chunk received (stored or not), oldest first.
func (s *Server) Chunks() []*agentv1.LogChunk {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneAll(s.chunks)
}

// Log returns the stored bytes of jobID's step.
func (s *Server) Log(jobID string, step uint32) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.logs[jobStep{jobID, step}])
}

// Artifact returns the stored artifact name of jobID and whether it exists.
func (s *Server) Artifact(jobID, name string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.artifacts[jobID+"/"+name]
	return slices.Clone(b), ok
}

// ArtifactNames lists stored artifacts as "job/name".
func (s *Server) ArtifactNames() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(maps.Keys(s.artifacts))
}

// Violations lists protocol rules the agent broke.
func (s *Server) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.violations)
}

func cloneAll[M proto.Message](in []M) []M {
	out := make([]M, len(in))
	for i, m := range in {
		out[i] = proto.CloneOf(m)
	}
	return out
}
