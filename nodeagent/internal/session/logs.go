package session

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"sort"
	"time"

	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// stepLog follows one step's log file. Offsets are bytes in the file.
//
//	acked ≤ sent ≤ target()
//
// acked: what the control plane confirmed it stored; sent: what was handed
// to the current stream; size: the file's size when last checked; frozen:
// the length the log limit cut it to.
type stepLog struct {
	path   string
	f      *os.File
	size   uint64
	frozen *uint64

	acked uint64
	sent  uint64
	// waiting is when bytes past acked started waiting for an ack (or the
	// last ack arrived while some still wait); zero when none wait.
	waiting time.Time
	// rewoundTo: a resend from this offset is under way; later refusals at
	// the same offset answer chunks sent before it and are ignored.
	rewoundTo *uint64
}

// target is the step's length to deliver.
func (l *stepLog) target() uint64 {
	if l.frozen != nil {
		return *l.frozen
	}
	return l.size
}

func (j *job) closeFiles() {
	for _, l := range j.logs {
		if l.f != nil {
			_ = l.f.Close()
			l.f = nil
		}
	}
	if j.pump != nil {
		j.pump.close()
	}
}

// refreshSizes updates the size of j's step logs (of their masked copies,
// brought up to date first, when the job has secrets). While the job runs,
// a step's file is looked for only once the previous step's exists
// (runners create them in order); all is true once the job ended.
func (s *Session) refreshSizes(j *job, all bool) {
	if j.pump != nil {
		s.pumpLogs(j, all)
	}
	for i, l := range j.logs {
		if l.f == nil {
			if !all && i > 0 && j.logs[i-1].f == nil {
				break
			}
			f, err := os.Open(l.path)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				s.log.Warn().Err(err).Str(logfield.JobID, j.id).Int(logfield.Step, i).Msg("opening a step log failed")
				continue
			}
			l.f = f
		}
		st, err := l.f.Stat()
		if err != nil {
			continue
		}
		n := uint64(st.Size()) //nolint:gosec // G115: a file size is not negative.
		if j.pump != nil {
			n = min(n, j.pump.shippable(i))
		}
		if n > l.size {
			l.size = n
		}
	}
}

// enforceLimit cancels a job whose log outgrew MaxJobLogBytes and freezes
// every step's length so the total is exactly the limit: the rest is never
// sent, and the final status's log_lengths say so.
func (s *Session) enforceLimit(j *job) {
	if j.limitHit {
		return
	}
	var total uint64
	for _, l := range j.logs {
		total += l.size
	}
	limit := uint64(s.d.MaxJobLogBytes) //nolint:gosec // G115: New checks it is positive.
	if total <= limit {
		return
	}
	j.limitHit = true
	remaining := limit
	for _, l := range j.logs {
		n := min(l.size, remaining)
		l.frozen = &n
		remaining -= n
	}
	s.log.Warn().Str(logfield.JobID, j.id).Uint64(logfield.Bytes, total).Int64(logfield.Limit, s.d.MaxJobLogBytes).Msg("the job's log exceeds the limit; cancelling it")
	if !j.done && j.handle != nil {
		j.handle.Cancel(MsgLogLimitExceeded)
	}
}

// shipping reports whether j still has log bytes to deliver.
func (j *job) shipping() bool { return !j.hasFinalStatus() }

// poll checks the logs of every job, ships what the window allows and
// decides final statuses.
func (s *Session) poll(now time.Time) {
	for _, j := range s.byID {
		if !j.shipping() {
			continue
		}
		switch {
		case !j.done:
			s.refreshSizes(j, false)
			s.enforceLimit(j)
		case j.pump != nil && !j.limitHit && !j.pump.settled():
			s.refreshSizes(j, true) // a copy's write failed when the job ended: retry
		}
		// Otherwise an ended job's sizes were read once when it ended.
		if s.cur != nil {
			for _, l := range j.logs {
				if l.sent > l.acked && !l.waiting.IsZero() && now.Sub(l.waiting) >= s.t.ResendAfter {
					// No ack for a long while: the control plane failed to
					// store something and said nothing. Send it again.
					s.rewind(j, l, l.acked, now)
				}
			}
		}
		if j.ackedDirty && now.Sub(j.ackedSaved) >= s.t.AckedFlush {
			if err := j.saveAcked(); err != nil {
				s.log.Warn().Err(err).Str(logfield.JobID, j.id).Msg("recording acknowledged log offsets failed")
			}
		}
	}
	s.fill(now)
	for _, j := range s.byID {
		s.checkFinal(j)
	}
	if s.cur != nil {
		s.resendStatuses(now)
	}
}

// inFlight is the log bytes sent and not acknowledged, over all jobs.
func (s *Session) inFlight() int {
	n := 0
	for _, j := range s.byID {
		for _, l := range j.logs {
			if l.sent > l.acked {
				n += int(l.sent - l.acked) //nolint:gosec // G115: bounded by the window.
			}
		}
	}
	return n
}

// fill queues log chunks while the window allows: round-robin over jobs
// (each round gives each job one chunk of its lowest step with bytes to
// send), so one chatty job cannot starve the others.
func (s *Session) fill(now time.Time) {
	if s.cur == nil {
		return
	}
	jobs := make([]*job, 0, len(s.byID))
	for _, j := range s.byID {
		if j.shipping() {
			jobs = append(jobs, j)
		}
	}
	sort.Slice(jobs, func(a, b int) bool { return jobs[a].id < jobs[b].id })
	free := s.t.Window - s.inFlight()
	for free > 0 {
		progress := false
		for _, j := range jobs {
			if free <= 0 {
				break
			}
			for step, l := range j.logs {
				if l.acked >= l.target() {
					continue // delivered: the next step may go
				}
				// A step waits until every earlier one is acknowledged
				// (not only sent), so the store gets steps in order even
				// when a chunk is lost and resent: followers resume at
				// (step, offset) and get later steps from their start.
				if l.sent < l.target() && l.f != nil {
					n, ok := s.queueChunk(j, uint32(step), l, min(s.t.ChunkSize, free), now)
					if ok {
						free -= n
						progress = true
					}
				}
				break
			}
		}
		if !progress {
			return
		}
	}
}

// queueChunk reads up to max bytes of l from sent and queues them.
func (s *Session) queueChunk(j *job, step uint32, l *stepLog, limit int, now time.Time) (int, bool) {
	n := int(min(uint64(limit), l.target()-l.sent)) //nolint:gosec // G115: at most limit.
	buf := make([]byte, n)
	got, err := l.f.ReadAt(buf, int64(l.sent)) //nolint:gosec // G115: offsets are file offsets.
	if got == 0 {
		if err != nil && !errors.Is(err, io.EOF) {
			s.log.Warn().Err(err).Str(logfield.JobID, j.id).Uint32(logfield.Step, step).Msg("reading a step log failed")
		}
		return 0, false
	}
	if l.sent == l.acked || l.waiting.IsZero() {
		l.waiting = now
	}
	s.cur.chunks = append(s.cur.chunks, &agentv1.ConnectRequest{Msg: &agentv1.ConnectRequest_LogChunk{LogChunk: &agentv1.LogChunk{
		JobId: j.id, Step: step, Offset: l.sent, Data: buf[:got],
	}}})
	l.sent += uint64(got) //nolint:gosec // G115: a byte count is not negative.
	return got, true
}

// logAck handles LogAck. Acks come in the order the chunks were sent; one
// that moves nothing forward while bytes past it are in flight means the
// control plane did not store the chunk it answers (a gap, or a write it
// failed): resend from the acked offset, once per offset.
func (s *Session) logAck(a *agentv1.LogAck, now time.Time) {
	j, ok := s.byID[a.GetJobId()]
	if !ok || int(a.GetStep()) >= len(j.logs) {
		return
	}
	l := j.logs[a.GetStep()]
	x := a.GetOffset()
	switch {
	case x > l.acked:
		l.acked = x
		l.rewoundTo = nil
		j.ackedDirty = true
		if x > l.sent {
			// The control plane holds more than this stream sent (an older
			// stream's bytes whose ack was lost): skip ahead.
			l.sent = x
			s.dropQueued(j.id, a.GetStep(), x)
		}
	case x < l.sent:
		if l.rewoundTo != nil && *l.rewoundTo == x {
			break // the answer to a chunk sent before the resend
		}
		if x < l.acked {
			l.acked = x // the control plane knows best what it stored
			j.ackedDirty = true
		}
		s.rewind(j, l, x, now)
	}
	if l.sent > l.acked {
		l.waiting = now
	} else {
		l.waiting = time.Time{}
	}
	s.fill(now)
	s.checkFinal(j)
}

// rewind makes l send again from offset.
func (s *Session) rewind(j *job, l *stepLog, offset uint64, now time.Time) {
	for i, x := range j.logs {
		if x == l {
			s.dropQueued(j.id, uint32(i), 0)
		}
	}
	l.sent = offset
	to := offset
	l.rewoundTo = &to
	l.waiting = now
}

// dropQueued removes queued, unsent chunks of (jobID, step) that start
// below end (end 0: all of them).
func (s *Session) dropQueued(jobID string, step uint32, end uint64) {
	if s.cur == nil {
		return
	}
	kept := s.cur.chunks[:0]
	for _, m := range s.cur.chunks {
		c := m.GetLogChunk()
		if c.GetJobId() == jobID && c.GetStep() == step && (end == 0 || c.GetOffset() < end) {
			continue
		}
		kept = append(kept, m)
	}
	clear(s.cur.chunks[len(kept):])
	s.cur.chunks = kept
}
