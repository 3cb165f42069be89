package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/hearth-dev/hearth/nodeagent/internal/runner"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
	"github.com/hearth-dev/hearth/shared/logfield"
	"github.com/hearth-dev/hearth/shared/logmask"
)

// Session-owned files in a job directory (runners never touch them).
const (
	statusFile = "status.json"
	ackedFile  = "acked.json"
)

// Messages of statuses the session decides itself.
const (
	MsgAtCapacity       = "agent at capacity"
	MsgLogLimitExceeded = "log limit exceeded"
)

// validJobID is what may name a job directory (runner.ValidateJob says the
// same); checked before any path is built from an id.
var validJobID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// job is one job the agent holds: from RunJob (or a restart) until its
// final status is acknowledged. Owned by Run's goroutine.
type job struct {
	id   string
	spec *agentv1.RunJob
	dir  string

	handle runner.Handle // nil when a restart found the final status already decided
	done   bool          // the handle is Done (or there is none)
	result runner.Result

	logs     []*stepLog
	limitHit bool // the log limit froze every step's length (stepLog.frozen)
	// pump: the job's logs are shipped from masked copies (mask.go); nil
	// when they are shipped as the runner wrote them.
	pump *pump

	uploading bool

	status      *agentv1.JobStatus // newest status; on disk in status.json until acked
	statusAcked bool
	statusSent  time.Time // when status was last sent on the current stream; zero: not sent

	ackedDirty bool
	ackedSaved time.Time
}

// statusRecord is status.json.
type statusRecord struct {
	Status json.RawMessage `json:"status"` // protojson JobStatus
	Acked  bool            `json:"acked"`
}

// ackedRecord is acked.json: per step, the log bytes the control plane
// acknowledged.
type ackedRecord struct {
	Acked []uint64 `json:"acked"`
}

func (s *Session) jobDir(id string) string { return filepath.Join(s.jobs, id) }

func newJob(id, dir string, spec *agentv1.RunJob) *job {
	j := &job{id: id, dir: dir, spec: spec}
	steps := int(runner.LastStep(spec)) + 1
	j.logs = make([]*stepLog, steps)
	for i := range j.logs {
		j.logs[i] = &stepLog{path: runner.LogPath(dir, uint32(i))}
	}
	return j
}

// shipMasked makes j ship p's masked copies instead of the raw logs.
func (j *job) shipMasked(p *pump) {
	j.pump = p
	for i, l := range j.logs {
		l.path = maskedPath(j.dir, i)
	}
}

func isFinal(st agentv1.JobState) bool {
	switch st {
	case agentv1.JobState_JOB_STATE_SUCCESS, agentv1.JobState_JOB_STATE_FAILURE,
		agentv1.JobState_JOB_STATE_CANCELLED, agentv1.JobState_JOB_STATE_TIMED_OUT:
		return true
	}
	return false
}

func (j *job) hasFinalStatus() bool { return j.status != nil && isFinal(j.status.GetState()) }

// loadJobs picks up every job directory a previous run left: a job whose
// final status is decided waits for its acknowledgement; any other is
// resumed through the runner.
func (s *Session) loadJobs(ctx context.Context) error {
	entries, err := os.ReadDir(s.jobs)
	if err != nil {
		return fmt.Errorf("reading the jobs directory: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		dir := s.jobDir(name)
		if !e.IsDir() || !validJobID.MatchString(name) {
			s.log.Warn().Str(logfield.JobID, name).Msg("ignoring an unexpected entry in the jobs directory")
			continue
		}
		j, err := s.loadJob(ctx, name, dir)
		if err != nil {
			// Not recorded means never acknowledged: the control plane
			// sends the job again, and the directory would block it.
			s.log.Error().Err(err).Str(logfield.JobID, name).Msg("removing a job directory that holds no usable job")
			if err := os.RemoveAll(dir); err != nil {
				return fmt.Errorf("removing %s: %w", dir, err)
			}
			continue
		}
		if j == nil {
			continue
		}
		s.byID[j.id] = j
		if j.status == nil && !j.done {
			// The agent stopped between recording the job and
			// acknowledging it: acknowledge it now.
			s.setStatus(j, &agentv1.JobStatus{JobId: j.id, State: agentv1.JobState_JOB_STATE_RUNNING})
		}
		s.watch(ctx, j)
	}
	if len(s.byID) > 0 {
		s.log.Info().Int(logfield.Jobs, len(s.byID)).Msg("picked up jobs from the data directory")
	}
	return s.adoptJobs(ctx)
}

// adoptJobs records and resumes the jobs the runner finds running that no
// job directory holds (runner.Adopter).
func (s *Session) adoptJobs(ctx context.Context) error {
	a, ok := s.d.Runner.(runner.Adopter)
	if !ok {
		return nil
	}
	known := func(id string) bool {
		if _, held := s.byID[id]; held {
			return true
		}
		_, err := os.Stat(s.jobDir(id))
		return err == nil
	}
	jobs, err := a.Adoptable(ctx, known)
	if err != nil {
		return fmt.Errorf("looking for jobs to adopt: %w", err)
	}
	for _, rj := range jobs {
		id := rj.GetJobId()
		if !validJobID.MatchString(id) || known(id) {
			continue
		}
		dir := s.jobDir(id)
		// No values reach an adopted job (job.json never holds them): its
		// log is shipped as the runner writes it.
		if _, err := s.recordJob(rj, dir, nil); err != nil {
			return fmt.Errorf("recording adopted job %s: %w", id, err)
		}
		j, err := s.loadJob(ctx, id, dir)
		if err != nil || j == nil {
			s.log.Error().Err(err).Str(logfield.JobID, id).Msg("adopting a job failed")
			continue
		}
		s.byID[id] = j
		s.setStatus(j, &agentv1.JobStatus{JobId: id, State: agentv1.JobState_JOB_STATE_RUNNING})
		s.watch(ctx, j)
		s.log.Info().Str(logfield.JobID, id).Msg("adopted a running job")
	}
	return nil
}

// loadJob reads one job directory. (nil, nil): a finished job whose
// directory only needed deleting.
func (s *Session) loadJob(ctx context.Context, id, dir string) (*job, error) {
	b, err := os.ReadFile(filepath.Join(dir, runner.JobFile)) //nolint:gosec // G304: the agent's own job directory
	if err != nil {
		return nil, err
	}
	spec := &agentv1.RunJob{}
	if err := protojson.Unmarshal(b, spec); err != nil {
		return nil, fmt.Errorf("%s: %w", runner.JobFile, err)
	}
	if spec.GetJobId() != id {
		return nil, fmt.Errorf("%s names job %q", runner.JobFile, spec.GetJobId())
	}
	j := newJob(id, dir, spec)
	p, err := loadPump(dir, len(j.logs))
	if err != nil {
		return nil, err
	}
	if p != nil {
		j.shipMasked(p)
	}
	if err := j.loadAcked(); err != nil {
		s.log.Warn().Err(err).Str(logfield.JobID, id).Msg("acknowledged log offsets unreadable; resending the logs from the start")
	}
	rec, err := j.loadStatus()
	if err != nil {
		s.log.Warn().Err(err).Str(logfield.JobID, id).Msg("the job's last status is unreadable; resuming it")
	}
	if rec != nil && isFinal(rec.GetState()) {
		if j.statusAcked {
			if err := os.RemoveAll(dir); err != nil {
				return nil, err
			}
			return nil, nil //nolint:nilnil // documented: nothing to load
		}
		// Decided before the restart: only the acknowledgement is missing.
		j.done = true
		return j, nil
	}
	h, err := s.d.Runner.Resume(ctx, spec, dir)
	if err != nil {
		s.log.Error().Err(err).Str(logfield.JobID, id).Msg("resuming the job failed")
		j.done = true
		j.result = runner.Result{State: agentv1.JobState_JOB_STATE_FAILURE, Message: "resuming the job after an agent restart failed: " + err.Error()}
		_ = runner.AppendLogLine(dir, 0, j.result.Message)
		s.refreshSizes(j, true)
		return j, nil
	}
	j.handle = h
	s.log.Info().Str(logfield.JobID, id).Msg("resumed a job")
	if p != nil {
		s.log.Warn().Str(logfield.JobID, id).Msg("the job's secret values are not kept on disk: the rest of its log is shipped unmasked, for the control plane to mask")
	}
	return j, nil
}

// loadStatus reads status.json into j; nil when there is none.
func (j *job) loadStatus() (*agentv1.JobStatus, error) {
	b, err := os.ReadFile(filepath.Join(j.dir, statusFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil //nolint:nilnil // no status yet
	}
	if err != nil {
		return nil, err
	}
	var rec statusRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("%s: %w", statusFile, err)
	}
	st := &agentv1.JobStatus{}
	if err := protojson.Unmarshal(rec.Status, st); err != nil {
		return nil, fmt.Errorf("%s: %w", statusFile, err)
	}
	j.status, j.statusAcked = st, rec.Acked
	return st, nil
}

// saveStatus writes status.json.
func (j *job) saveStatus() error {
	b, err := protojson.Marshal(j.status)
	if err != nil {
		return err
	}
	rec, err := json.Marshal(statusRecord{Status: b, Acked: j.statusAcked})
	if err != nil {
		return err
	}
	return runner.WriteFileAtomic(filepath.Join(j.dir, statusFile), append(rec, '\n'))
}

func (j *job) loadAcked() error {
	b, err := os.ReadFile(filepath.Join(j.dir, ackedFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var rec ackedRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return fmt.Errorf("%s: %w", ackedFile, err)
	}
	for i, n := range rec.Acked {
		if i < len(j.logs) {
			j.logs[i].acked, j.logs[i].sent = n, n
		}
	}
	return nil
}

func (j *job) saveAcked() error {
	rec := ackedRecord{Acked: make([]uint64, len(j.logs))}
	for i, l := range j.logs {
		rec.Acked[i] = l.acked
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	j.ackedDirty = false
	j.ackedSaved = time.Now()
	return runner.WriteFileAtomic(filepath.Join(j.dir, ackedFile), append(b, '\n'))
}

// watch turns the handle's Done into an event for Run's goroutine.
func (s *Session) watch(ctx context.Context, j *job) {
	if j.handle == nil || j.done {
		return
	}
	h, id := j.handle, j.id
	s.wg.Go(func() {
		select {
		case <-h.Done():
			s.send(ctx, event{kind: evJobDone, jobID: id})
		case <-ctx.Done():
		}
	})
}

// runJob handles RunJob.
func (s *Session) runJob(ctx context.Context, rj *agentv1.RunJob) {
	id := rj.GetJobId()
	log := s.log.With().Str(logfield.JobID, id).Logger()
	if _, ok := s.byID[id]; ok {
		log.Debug().Msg("RunJob for a job the agent already has; ignored")
		return
	}
	if err := runner.ValidateJob(rj); err != nil || !validJobID.MatchString(id) {
		if err == nil {
			err = fmt.Errorf("job id %q is not a valid id", id)
		}
		log.Error().Err(err).Msg("refusing an invalid job")
		s.sendOnce(&agentv1.JobStatus{JobId: id, State: agentv1.JobState_JOB_STATE_FAILURE, Message: "the agent refused the job: " + err.Error()})
		return
	}
	dir := s.jobDir(id)
	if _, err := os.Stat(dir); err == nil {
		log.Warn().Msg("RunJob for a job whose directory exists but is not tracked; ignored")
		return
	}
	if len(s.byID) >= s.d.Capacity {
		log.Warn().Int(logfield.Capacity, s.d.Capacity).Msg("refusing a job beyond capacity")
		s.sendOnce(&agentv1.JobStatus{JobId: id, State: agentv1.JobState_JOB_STATE_FAILURE, Message: MsgAtCapacity})
		return
	}
	rj = s.withTelemetry(rj, log)
	masker := jobMasker(rj)
	p, err := s.recordJob(rj, dir, masker)
	if err != nil {
		// Not recorded, not acknowledged: the control plane may send it
		// again; a failing disk fails the job rather than looping.
		log.Error().Err(err).Msg("recording the job failed")
		_ = os.RemoveAll(dir)
		s.sendOnce(&agentv1.JobStatus{JobId: id, State: agentv1.JobState_JOB_STATE_FAILURE, Message: "the agent could not record the job: " + err.Error()})
		return
	}
	j := newJob(id, dir, rj)
	if p != nil {
		j.shipMasked(p)
		log.Debug().Int(logfield.Count, masker.Patterns()).Msg("the job's log is masked")
		if n := masker.Omitted(); n > 0 {
			log.Warn().Int(logfield.Count, n).Msg("the job's secrets are too large to mask all their encoded forms; some are not masked")
		}
	}
	s.byID[id] = j
	h, err := s.d.Runner.Start(ctx, rj, dir)
	if err != nil {
		log.Error().Err(err).Msg("starting the job failed")
		j.done = true
		j.result = runner.Result{State: agentv1.JobState_JOB_STATE_FAILURE, Message: "starting the job failed: " + err.Error()}
		_ = runner.AppendLogLine(dir, 0, j.result.Message)
		s.refreshSizes(j, true)
		s.checkFinal(j)
		s.armPoll()
		return
	}
	j.handle = h
	log.Info().Str(logfield.Name, rj.GetName()).Str(logfield.Project, rj.GetProject()).Msg("job started")
	s.setStatus(j, &agentv1.JobStatus{JobId: id, State: agentv1.JobState_JOB_STATE_RUNNING})
	s.watch(ctx, j)
	s.armPoll()
}

// recordJob creates the job directory and job.json, synced, so the job
// is on disk before anything acknowledges it. The clone token and the
// job's secrets (files, secret variables) are left out: the job's own
// steps run as the agent's user and could read job.json; the runner gets
// them in memory at Start, and a resumed job has checked out and received
// them already. When m masks anything, the masked copies are set up first
// (createPump), so no restart ever ships the job's logs raw.
func (s *Session) recordJob(rj *agentv1.RunJob, dir string, m *logmask.Masker) (*pump, error) {
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, err
	}
	var p *pump
	if m.Active() {
		var err error
		if p, err = createPump(dir, m, int(runner.LastStep(rj))+1); err != nil {
			return nil, err
		}
	}
	onDisk := proto.CloneOf(rj)
	onDisk.CloneToken = ""
	onDisk.Files = nil
	onDisk.SecretEnv = nil
	b, err := protojson.Marshal(onDisk)
	if err != nil {
		return nil, err
	}
	return p, runner.WriteFileAtomic(filepath.Join(dir, runner.JobFile), b)
}

// cancelJob handles CancelJob. A job the agent does not have gets no
// answer: answering would make the control plane (which acks statuses of
// foreign jobs and cancels them) and the agent ping-pong.
func (s *Session) cancelJob(c *agentv1.CancelJob) {
	if !s.fresh(c.GetEpoch()) {
		s.log.Warn().Str(logfield.JobID, c.GetJobId()).Uint64(logfield.Epoch, c.GetEpoch()).
			Msg("CancelJob from a deposed control-plane leader (an older epoch than one already seen); dropped")
		return
	}
	j, ok := s.byID[c.GetJobId()]
	if !ok {
		s.log.Debug().Str(logfield.JobID, c.GetJobId()).Msg("CancelJob for a job the agent does not have; ignored")
		return
	}
	if j.done || j.handle == nil {
		return // its final status is on its way
	}
	reason := c.GetReason()
	if reason == "" {
		reason = runner.MsgCancelled
	}
	s.log.Info().Str(logfield.JobID, j.id).Str(logfield.Reason, reason).Msg("cancelling the job")
	j.handle.Cancel(reason)
}

// fresh records epoch as the newest seen if it is, and reports whether a
// command stamped with it may be obeyed: not when a newer epoch was seen
// (its issuer was deposed). Epoch 0 is unstamped and always fresh.
func (s *Session) fresh(epoch uint64) bool {
	if epoch == 0 {
		return true
	}
	if epoch < s.newestEpoch {
		return false
	}
	s.newestEpoch = epoch
	return true
}

// statusAck handles JobStatusAck.
func (s *Session) statusAck(a *agentv1.JobStatusAck) {
	j, ok := s.byID[a.GetJobId()]
	if !ok || j.status == nil || j.status.GetState() != a.GetState() {
		return // an ack of an older status, or of one sent without a record
	}
	j.statusAcked = true
	j.statusSent = time.Time{}
	if !isFinal(a.GetState()) {
		if err := j.saveStatus(); err != nil {
			s.log.Warn().Err(err).Str(logfield.JobID, j.id).Msg("recording the status acknowledgement failed")
		}
		return
	}
	// Recorded first: if the removal fails half-way, a restart finds an
	// acknowledged final status and only removes the rest.
	if err := j.saveStatus(); err != nil {
		s.log.Warn().Err(err).Str(logfield.JobID, j.id).Msg("recording the final acknowledgement failed")
	}
	j.closeFiles()
	delete(s.byID, j.id)
	if err := os.RemoveAll(j.dir); err != nil {
		s.log.Error().Err(err).Str(logfield.JobID, j.id).Msg("removing the finished job's directory failed")
	}
	s.log.Info().Str(logfield.JobID, j.id).Str(logfield.State, a.GetState().String()).Msg("job finished and acknowledged")
}

// jobDone handles the end of a job's runner.
func (s *Session) jobDone(ctx context.Context, id string) {
	j, ok := s.byID[id]
	if !ok || j.done {
		return
	}
	j.done = true
	j.result = j.handle.Result()
	s.refreshSizes(j, true)
	s.enforceLimit(j)
	if j.limitHit {
		j.result = runner.Result{State: agentv1.JobState_JOB_STATE_FAILURE, Step: j.result.Step, Message: MsgLogLimitExceeded}
	}
	s.log.Info().Str(logfield.JobID, id).Str(logfield.State, j.result.State.String()).Str(logfield.Detail, j.result.Message).Msg("job ended")
	if j.result.State == agentv1.JobState_JOB_STATE_SUCCESS && j.result.Artifacts != "" {
		s.startUpload(ctx, j)
	}
	s.checkFinal(j)
	s.armPoll()
}

// checkFinal sends the final status once the job ended, its artifacts
// are uploaded and every log byte is acknowledged.
func (s *Session) checkFinal(j *job) {
	if !j.done || j.uploading || j.hasFinalStatus() {
		return
	}
	if j.pump != nil && !j.limitHit && !j.pump.settled() {
		return // the copies lack bytes the runner wrote (a failed write, retried)
	}
	lengths := make([]uint64, len(j.logs))
	for i, l := range j.logs {
		lengths[i] = l.target()
		if l.acked < lengths[i] {
			return
		}
	}
	if j.ackedDirty {
		if err := j.saveAcked(); err != nil {
			s.log.Warn().Err(err).Str(logfield.JobID, j.id).Msg("recording acknowledged log offsets failed")
		}
	}
	r := j.result
	s.setStatus(j, &agentv1.JobStatus{
		JobId: j.id, State: r.State, Step: r.Step, ExitCode: r.ExitCode, Message: r.Message, LogLengths: lengths,
	})
}

// setStatus makes st the job's newest status: on disk first, then sent.
func (s *Session) setStatus(j *job, st *agentv1.JobStatus) {
	j.status, j.statusAcked, j.statusSent = st, false, time.Time{}
	if err := j.saveStatus(); err != nil {
		// Still sent: losing it to a restart only means the job is
		// resumed and its status decided again.
		s.log.Error().Err(err).Str(logfield.JobID, j.id).Msg("recording the job status failed")
	}
	s.queueStatus(j)
}

// queueStatus sends j's status on the current stream, if any.
func (s *Session) queueStatus(j *job) {
	if s.cur == nil || j.status == nil || j.statusAcked {
		return
	}
	j.statusSent = time.Now()
	s.cur.control = append(s.cur.control, &agentv1.ConnectRequest{Msg: &agentv1.ConnectRequest_JobStatus{JobStatus: j.status}})
}

// sendOnce sends a status the agent keeps no record of (a job it refused):
// if it is lost, the control plane sends the RunJob again.
func (s *Session) sendOnce(st *agentv1.JobStatus) {
	if s.cur != nil {
		s.cur.control = append(s.cur.control, &agentv1.ConnectRequest{Msg: &agentv1.ConnectRequest_JobStatus{JobStatus: st}})
	}
}

// resendStatuses resends statuses left unacknowledged for ResendAfter;
// the control plane does not ack a status it failed to store.
func (s *Session) resendStatuses(now time.Time) {
	for _, j := range s.byID {
		if j.status != nil && !j.statusAcked && !j.statusSent.IsZero() && now.Sub(j.statusSent) >= s.t.ResendAfter {
			s.queueStatus(j)
		}
	}
}
