package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/jobs"
	"github.com/hearth-dev/hearth/controlplane/internal/pipeline/internal/db"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// cloneTokenSlack is how long a clone token outlives the job's timeout:
// the checkout may start a little after assignment, and a job near its
// timeout may still fetch.
const cloneTokenSlack = 10 * time.Minute

// DefaultArtifactName names an upload without a name.
const DefaultArtifactName = "artifacts.tar.gz"

// Messages of jobs the control plane ends itself.
const (
	msgAgentGone      = "the agent running the job went away"
	msgLost           = "lost by the agent"
	msgUndispatchable = "could not be dispatched: "
)

// maxClaimRounds bounds how often one Claim goes on after failing jobs it
// could not dispatch; past it, it wakes the streams to claim the rest.
const maxClaimRounds = 100

// undispatchable is why a job's run (jobs.Run) cannot be built (its project is
// gone, its spec or variables unreadable, no clone token issued): the job
// fails rather than stay first in the queue and block every claim.
type undispatchable struct{ err error }

func (e *undispatchable) Error() string { return e.err.Error() }
func (e *undispatchable) Unwrap() error { return e.err }

// asUndispatchable returns err's job problem, or nil when err is not one
// or the call was cut short (a stream that ends mid-claim fails nothing).
func asUndispatchable(ctx context.Context, err error) *undispatchable {
	var bad *undispatchable
	if errors.As(err, &bad) && ctx.Err() == nil &&
		!errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		return bad
	}
	return nil
}

// failedDispatch is a job a claim could not build a run for.
type failedDispatch struct {
	id  uuid.UUID
	err error
}

// reportedIDs parses the job ids an agent reported, without duplicates;
// malformed ones are ignored (Reconcile deals with them).
func reportedIDs(ids []string) []uuid.UUID {
	out := make([]uuid.UUID, 0, len(ids))
	seen := make(map[uuid.UUID]bool, len(ids))
	for _, s := range ids {
		if id, err := uuid.Parse(s); err == nil && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func errNotAgentsJob() error { return apperr.NotFound("not a job of this agent") }

// Claim assigns queued jobs the agent can take — job labels ⊆ agent
// labels, at most its free capacity (capacity − jobs running on it,
// counted under a per-agent lock) — and returns them as commands. Each
// gets a clone token expiring after the job's timeout plus slack. A job
// whose command cannot be built fails ("could not be dispatched: …", its
// dependants and retries as for any failure) and the claim goes on with
// the jobs behind it.
func (s *Service) Claim(ctx context.Context, a jobs.Agent) ([]jobs.Run, error) {
	if a.Capacity <= 0 {
		return nil, nil
	}
	labels := a.Labels
	if labels == nil {
		labels = map[string]string{}
	}
	rawLabels, err := json.Marshal(labels)
	if err != nil {
		return nil, err
	}
	var out []jobs.Run
	for range maxClaimRounds {
		runs, failed, err := s.claimOnce(ctx, a, rawLabels)
		if err != nil {
			if len(out) > 0 {
				// Earlier rounds' assignments are committed: send them; the
				// next claim takes the rest.
				s.log.Warn().Err(err).Str(logfield.AgentID, a.ID.String()).Msg("claiming more jobs failed")
				return out, nil
			}
			return nil, err
		}
		out = append(out, runs...)
		if len(failed) == 0 {
			return out, nil
		}
		// Each failed job leaves the queue, so the next round takes the
		// jobs behind it (or finds no more work).
		for _, f := range failed {
			if err := s.failUndispatchable(ctx, f.id, f.err); err != nil {
				s.log.Warn().Err(err).Str(logfield.JobID, f.id.String()).Msg("could not fail a job that could not be dispatched")
				return out, nil
			}
		}
	}
	// Many jobs could not be dispatched: the streams claim the rest.
	if err := s.q.Notify(ctx, payloadQueued); err != nil {
		s.log.Warn().Err(err).Msg("could not wake the agents after failing undispatchable jobs")
	}
	return out, nil
}

// claimOnce is one round of Claim: it assigns what it can build and
// returns the jobs it could not build, still pending, for the caller to
// fail. Failing them here would lock their pipelines while holding job
// row locks, against the locking order.
func (s *Service) claimOnce(ctx context.Context, a jobs.Agent, rawLabels []byte) ([]jobs.Run, []failedDispatch, error) {
	var out []jobs.Run
	var failed []failedDispatch
	var issued []uuid.UUID
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		q := s.q.WithTx(tx)
		if err := q.LockAgentQueue(ctx, a.ID.String()); err != nil {
			return err
		}
		// Busy: what the queue says runs there, and what the agent says it
		// still runs (a job ended here, e.g. by the reaper, may still be
		// stopping on the agent and hold a slot).
		reported := reportedIDs(a.Running)
		running, err := q.CountRunning(ctx, db.CountRunningParams{AgentID: &a.ID, Reported: reported})
		if err != nil {
			return err
		}
		free := int64(a.Capacity) - running - int64(len(reported))
		if free <= 0 {
			return nil
		}
		rows, err := q.ClaimPending(ctx, db.ClaimPendingParams{AgentLabels: rawLabels, MaxRows: int32(min(free, 1000))})
		if err != nil {
			return err
		}
		c := newRunCache(s)
		now := s.now()
		for _, j := range rows {
			run, tokenID, err := c.runJob(ctx, tx, q, j)
			if bad := asUndispatchable(ctx, err); bad != nil {
				failed = append(failed, failedDispatch{id: j.ID, err: bad.err})
				continue
			}
			if err != nil {
				return err
			}
			issued = append(issued, tokenID)
			if err := q.AssignJob(ctx, db.AssignJobParams{AgentID: &a.ID, Now: now, CloneTokenID: &tokenID, ID: j.ID}); err != nil {
				return err
			}
			out = append(out, *run)
		}
		return nil
	})
	if err != nil {
		s.revokeAll(ctx, issued)
		return nil, nil, err
	}
	return out, failed, nil
}

// failUndispatchable fails a queued job whose run could not be built.
func (s *Service) failUndispatchable(ctx context.Context, id uuid.UUID, cause error) error {
	s.log.Error().Err(cause).Str(logfield.JobID, id.String()).Msg("a job could not be dispatched; failing it")
	return s.inTx(ctx, func(_ pgx.Tx, q *db.Queries, e *effects) error {
		p, j, err := s.lockJob(ctx, q, id)
		if err != nil {
			return err
		}
		if State(j.State) != StatePending {
			return nil // taken or ended meanwhile
		}
		return s.endUndispatchable(ctx, q, p, j, cause, e)
	})
}

// endUndispatchable fails j (pending, or assigned but unacknowledged) as
// not dispatchable and advances its pipeline. The caller holds the locks.
func (s *Service) endUndispatchable(ctx context.Context, q *db.Queries, p db.Pipeline, j db.Job, cause error, e *effects) error {
	if err := s.endJob(ctx, q, j, StateFailure, 0, msgUndispatchable+cause.Error(), e); err != nil {
		return err
	}
	e.finish = append(e.finish, j.ID)
	return s.advance(ctx, q, p, e)
}

func (s *Service) revokeAll(ctx context.Context, ids []uuid.UUID) {
	if len(ids) > 0 {
		s.after(ctx, &effects{revoke: ids})
	}
}

// runCache builds runs, looking each pipeline and project up once.
type runCache struct {
	s         *Service
	pipelines map[uuid.UUID]db.Pipeline
	projects  map[uuid.UUID]Project
}

func newRunCache(s *Service) *runCache {
	return &runCache{s: s, pipelines: map[uuid.UUID]db.Pipeline{}, projects: map[uuid.UUID]Project{}}
}

// runJob builds the command for j and issues its clone token. Errors of
// the job itself (not of the transaction) are *undispatchable.
func (c *runCache) runJob(ctx context.Context, tx pgx.Tx, q *db.Queries, j db.Job) (*jobs.Run, uuid.UUID, error) {
	p, ok := c.pipelines[j.PipelineID]
	if !ok {
		var err error
		if p, err = q.GetPipeline(ctx, j.PipelineID); err != nil {
			return nil, uuid.Nil, err
		}
		c.pipelines[j.PipelineID] = p
	}
	proj, ok := c.projects[p.ProjectID]
	if !ok {
		var err error
		if proj, err = c.s.projects.ByID(ctx, p.ProjectID); err != nil {
			return nil, uuid.Nil, &undispatchable{fmt.Errorf("looking up its project: %w", err)}
		}
		c.projects[p.ProjectID] = proj
	}
	sp, err := decodeSpec(j.Spec)
	if err != nil {
		return nil, uuid.Nil, &undispatchable{err}
	}
	var vars map[string]string
	if err := json.Unmarshal(p.Variables, &vars); err != nil {
		return nil, uuid.Nil, &undispatchable{fmt.Errorf("pipeline variables: %w", err)}
	}
	var secrets *jobSecrets
	if len(sp.Secrets) > 0 {
		if secrets, err = c.s.resolveSecrets(ctx, proj, pipelineRef{id: p.ID, ref: p.Ref}, sp.Secrets); err != nil {
			return nil, uuid.Nil, err
		}
	}
	token, tokenID, err := c.s.tokens.Issue(ctx, deref(p.TriggeredBy), p.ProjectID, c.s.now().Add(sp.timeout()+cloneTokenSlack))
	if err != nil {
		return nil, uuid.Nil, &undispatchable{fmt.Errorf("issuing its clone token: %w", err)}
	}
	// The pipeline's variables (a manual run's, a schedule's) override the
	// file's env.
	env := make(map[string]string, len(sp.Env)+len(vars))
	maps.Copy(env, sp.Env)
	maps.Copy(env, vars)
	run := &jobs.Run{
		JobID: j.ID, PipelineID: p.ID, Attempt: uint32(max(j.Attempt, 1)), Project: proj.Path, Name: j.Name, Image: sp.Image,
		CloneURL: proj.CloneURL, Commit: p.CommitSha, Ref: p.Ref, CloneToken: token,
		Env: env, Timeout: sp.timeout(), ArtifactPaths: sp.ArtifactPaths, Pod: sp.Pod,
		Steps: make([]jobs.Step, len(sp.Steps)),
	}
	for i, st := range sp.Steps {
		run.Steps[i] = jobs.Step{Name: st.Name, Script: st.Script}
	}
	if secrets != nil {
		run.Files, run.SecretEnv = secrets.files, secrets.env
		if err := recordResolution(ctx, tx, p.ProjectID, j.ID, secrets.used); err != nil {
			return nil, uuid.Nil, err
		}
		c.s.masks.put(j.ID, secrets.values)
	}
	return run, tokenID, nil
}

// Reconcile compares what an agent reports it runs (after Hello) with the
// records: a reported job that is not running on this agent (unknown,
// ended, assigned elsewhere) or whose cancellation was requested gets
// CancelJob; the reported jobs it runs are alive (their heartbeat is
// refreshed, so a reaper starting after an outage spares them); a job
// assigned to the agent that it never acknowledged and does not report is
// sent again (with a new clone token), or cancelled if its cancellation
// was requested (it never started); one it acknowledged but no longer
// reports fails ("lost by the agent", the retry policy applies).
func (s *Service) Reconcile(ctx context.Context, a jobs.Agent, running []string) ([]jobs.Run, []jobs.Cancel, error) {
	mine, err := s.q.AgentRunningJobs(ctx, &a.ID)
	if err != nil {
		return nil, nil, err
	}
	assigned := make(map[uuid.UUID]db.Job, len(mine))
	for _, j := range mine {
		assigned[j.ID] = j
	}
	var cancels []jobs.Cancel
	reported := make(map[uuid.UUID]bool, len(running))
	for _, raw := range running {
		id, err := uuid.Parse(raw)
		j, ok := assigned[id]
		switch {
		case err != nil || !ok:
			cancels = append(cancels, jobs.Cancel{JobID: raw, Reason: "the control plane does not run this job on this agent"})
		case j.CancelRequestedAt != nil:
			cancels = append(cancels, jobs.Cancel{JobID: raw, Reason: "cancelled"})
		}
		if err == nil {
			reported[id] = true
		}
	}
	if len(reported) > 0 {
		ids := make([]uuid.UUID, 0, len(reported))
		for id := range reported {
			ids = append(ids, id)
		}
		if err := s.q.Heartbeat(ctx, db.HeartbeatParams{Now: s.now(), AgentID: &a.ID, Ids: ids}); err != nil {
			return nil, nil, err
		}
	}
	var resend []jobs.Run
	for _, j := range mine {
		switch {
		case reported[j.ID]:
			// The agent holds it: that acknowledges it as well as RUNNING would.
			if j.AcknowledgedAt == nil {
				if err := s.q.AcknowledgeJob(ctx, db.AcknowledgeJobParams{Now: s.now(), ID: j.ID}); err != nil {
					return nil, nil, err
				}
			}
		case j.AcknowledgedAt == nil:
			run, err := s.resend(ctx, a.ID, j)
			if err != nil {
				return nil, nil, err
			}
			if run != nil {
				resend = append(resend, *run)
			}
		default:
			if err := s.failLost(ctx, a.ID, j.ID); err != nil {
				return nil, nil, err
			}
		}
	}
	return resend, cancels, nil
}

// resend rebuilds an unacknowledged job's run with a fresh clone token
// (only the token's hash is stored) and revokes the old one. A job whose
// cancellation was requested is cancelled instead: the agent never
// confirmed it, so it never started, and the one CancelJob notification
// may have gone to no stream. A job whose run cannot be built fails.
func (s *Service) resend(ctx context.Context, agentID uuid.UUID, j db.Job) (*jobs.Run, error) {
	var run *jobs.Run
	var newToken *uuid.UUID
	err := s.inTx(ctx, func(tx pgx.Tx, q *db.Queries, e *effects) error {
		p, cur, err := s.lockJob(ctx, q, j.ID)
		if err != nil {
			return err
		}
		if State(cur.State) != StateRunning || deref(cur.AgentID) != agentID || cur.AcknowledgedAt != nil {
			return nil // changed meanwhile
		}
		if cur.CancelRequestedAt != nil {
			if err := s.endJob(ctx, q, cur, StateCancelled, 0, msgCancelled, e); err != nil {
				return err
			}
			e.finish = append(e.finish, cur.ID)
			return s.advance(ctx, q, p, e)
		}
		r, tokenID, err := newRunCache(s).runJob(ctx, tx, q, cur)
		if bad := asUndispatchable(ctx, err); bad != nil {
			s.log.Error().Err(bad.err).Str(logfield.JobID, cur.ID.String()).Msg("a job could not be dispatched; failing it")
			return s.endUndispatchable(ctx, q, p, cur, bad.err, e)
		}
		if err != nil {
			return err
		}
		newToken = &tokenID
		if err := q.SetCloneToken(ctx, db.SetCloneTokenParams{CloneTokenID: &tokenID, ID: cur.ID}); err != nil {
			return err
		}
		if cur.CloneTokenID != nil {
			e.revoke = append(e.revoke, *cur.CloneTokenID) // after commit
		}
		run = r
		return nil
	})
	if err != nil {
		if newToken != nil {
			s.revokeAll(ctx, []uuid.UUID{*newToken})
		}
		return nil, err
	}
	return run, nil
}

// failLost fails a job its agent acknowledged but no longer reports.
func (s *Service) failLost(ctx context.Context, agentID, jobID uuid.UUID) error {
	return s.inTx(ctx, func(_ pgx.Tx, q *db.Queries, e *effects) error {
		p, j, err := s.lockJob(ctx, q, jobID)
		if err != nil {
			return err
		}
		if State(j.State) != StateRunning || deref(j.AgentID) != agentID || j.AcknowledgedAt == nil {
			return nil
		}
		state, msg := StateFailure, msgLost
		if j.CancelRequestedAt != nil {
			state, msg = StateCancelled, "cancelled ("+msgLost+")"
		}
		if err := s.endJob(ctx, q, j, state, 0, msg, e); err != nil {
			return err
		}
		e.finish = append(e.finish, j.ID)
		return s.advance(ctx, q, p, e)
	})
}

// resendAfter: an assigned job the agent has neither acknowledged nor
// reported this long after it was sent is sent again (its RunJob went
// down a stream that died, e.g. an older stream of the agent on another
// replica). RunJob is idempotent on the agent.
const resendAfter = 10 * time.Second

// Heartbeat refreshes the liveness of the jobs the agent reports running,
// and answers with what the agent should have but may have missed:
// CancelJob for its jobs whose cancellation was requested (the one
// notification may have reached no stream), and RunJob again for jobs
// assigned to it that it never confirmed.
func (s *Service) Heartbeat(ctx context.Context, agentID uuid.UUID, running []string) ([]jobs.Cancel, []jobs.Run, error) {
	ids := make([]uuid.UUID, 0, len(running))
	reported := make(map[uuid.UUID]bool, len(running))
	for _, raw := range running {
		if id, err := uuid.Parse(raw); err == nil {
			ids = append(ids, id)
			reported[id] = true
		}
	}
	if len(ids) > 0 {
		if err := s.q.Heartbeat(ctx, db.HeartbeatParams{Now: s.now(), AgentID: &agentID, Ids: ids}); err != nil {
			return nil, nil, err
		}
	}
	cancel, err := s.q.CancelRequestedJobs(ctx, db.CancelRequestedJobsParams{AgentID: &agentID, Ids: ids})
	if err != nil {
		return nil, nil, err
	}
	cancels := make([]jobs.Cancel, len(cancel))
	for i, id := range cancel {
		cancels[i] = jobs.Cancel{JobID: id.String(), Reason: msgCancelled}
	}
	mine, err := s.q.AgentRunningJobs(ctx, &agentID)
	if err != nil {
		return nil, nil, err
	}
	var resends []jobs.Run
	for _, j := range mine {
		if j.AcknowledgedAt != nil || reported[j.ID] || j.HeartbeatAt == nil || s.now().Sub(*j.HeartbeatAt) < resendAfter {
			continue
		}
		run, err := s.resend(ctx, agentID, j)
		if err != nil {
			return cancels, resends, err
		}
		if run == nil {
			continue
		}
		// Sent again now: the reaper's grace starts over.
		if err := s.q.Heartbeat(ctx, db.HeartbeatParams{Now: s.now(), AgentID: &agentID, Ids: []uuid.UUID{j.ID}}); err != nil {
			return cancels, resends, err
		}
		resends = append(resends, *run)
	}
	return cancels, resends, nil
}

var finalStates = map[jobs.State]State{
	jobs.StateSuccess:   StateSuccess,
	jobs.StateFailure:   StateFailure,
	jobs.StateCancelled: StateCancelled,
	jobs.StateTimedOut:  StateTimedOut,
}

// Status stores a job status from agentID. apperr NotFound: not a job
// running on this agent (the gateway acknowledges it and sends CancelJob).
// A final status is stored only once the stored log holds every byte the
// agent reports; otherwise, or when finishing the log fails, it returns an
// error and the agent resends it later. A final status for a job that has
// already ended on this agent is acknowledged again (its ack was lost).
func (s *Service) Status(ctx context.Context, agentID uuid.UUID, st jobs.Status) error {
	id, err := uuid.Parse(st.JobID)
	if err != nil {
		return errNotAgentsJob()
	}
	j, err := s.q.GetJob(ctx, id)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return errNotAgentsJob()
		}
		return err
	}
	if deref(j.AgentID) != agentID {
		return errNotAgentsJob()
	}
	if st.State == jobs.StateRunning {
		return s.acknowledge(ctx, agentID, id)
	}
	final, ok := finalStates[st.State]
	if !ok {
		return apperr.Invalid("job status: unknown state %v", st.State)
	}
	if State(j.State).Final() {
		return s.finishLog(ctx, id) // a resend: make sure the log is finished
	}
	if err := s.checkLog(ctx, id, st.LogLengths); err != nil {
		return err
	}
	ended := false
	err = s.inTx(ctx, func(_ pgx.Tx, q *db.Queries, e *effects) error {
		p, j, err := s.lockJob(ctx, q, id)
		if err != nil {
			return err
		}
		if deref(j.AgentID) != agentID || State(j.State) != StateRunning {
			return nil // ended meanwhile (reaper, another stream): answered below
		}
		if err := s.endJob(ctx, q, j, final, st.ExitCode, statusMessage(final, st, j), e); err != nil {
			return err
		}
		ended = true
		return s.advance(ctx, q, p, e)
	})
	if err != nil {
		return err
	}
	if !ended {
		cur, err := s.q.GetJob(ctx, id)
		if err != nil {
			return err
		}
		if deref(cur.AgentID) != agentID {
			return errNotAgentsJob()
		}
	}
	// After the commit: a follower that sees the log end reads the final
	// state. On failure the agent resends and the Final() branch retries.
	return s.finishLog(ctx, id)
}

// acknowledge records RUNNING: the agent has the job.
func (s *Service) acknowledge(ctx context.Context, agentID, id uuid.UUID) error {
	return s.inTx(ctx, func(_ pgx.Tx, q *db.Queries, e *effects) error {
		p, j, err := s.lockJob(ctx, q, id)
		if err != nil {
			return err
		}
		if deref(j.AgentID) != agentID || State(j.State) != StateRunning {
			// The job ended or moved (cancelled before the agent confirmed,
			// re-queued by the reaper): the gateway tells the agent to stop.
			return errNotAgentsJob()
		}
		if j.AcknowledgedAt != nil && j.StartedAt != nil && p.StartedAt != nil {
			return nil
		}
		if err := q.AcknowledgeJob(ctx, db.AcknowledgeJobParams{Now: s.now(), ID: id}); err != nil {
			return err
		}
		return s.advance(ctx, q, p, e) // the pipeline's start time and status
	})
}

// checkLog refuses a final status while the stored log is shorter than
// what the agent reports.
func (s *Service) checkLog(ctx context.Context, id uuid.UUID, want []uint64) error {
	have, err := s.logs.Lengths(ctx, id)
	if err != nil {
		return err
	}
	for step, n := range want {
		var got uint64
		if step < len(have) {
			got = have[step]
		}
		if got < n {
			return apperr.FailedPrecondition("job %s: the log of step %d holds %d of %d bytes; send the rest first", id, step, got, n)
		}
	}
	return nil
}

func statusMessage(final State, st jobs.Status, j db.Job) string {
	if st.Message != "" {
		return st.Message
	}
	switch final {
	case StateFailure:
		return fmt.Sprintf("exit status %d in step %d", st.ExitCode, st.Step)
	case StateTimedOut:
		if sp, err := decodeSpec(j.Spec); err == nil {
			return "timed out after " + sp.timeout().String()
		}
		return "timed out"
	case StateCancelled:
		return "cancelled"
	}
	return ""
}

// runningJobOf returns the job if it runs on agentID, else NotFound.
func (s *Service) runningJobOf(ctx context.Context, agentID, id uuid.UUID) (db.Job, error) {
	j, err := s.q.GetJob(ctx, id)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return db.Job{}, errNotAgentsJob()
		}
		return db.Job{}, err
	}
	if deref(j.AgentID) != agentID || State(j.State) != StateRunning {
		return db.Job{}, errNotAgentsJob()
	}
	return j, nil
}

// AppendLog stores a log chunk of a job running on agentID and returns
// the stored end of (job, step).
func (s *Service) AppendLog(ctx context.Context, agentID uuid.UUID, c jobs.LogChunk) (uint64, error) {
	id, err := uuid.Parse(c.JobID)
	if err != nil {
		return 0, errNotAgentsJob()
	}
	j, err := s.runningJobOf(ctx, agentID, id)
	if err != nil {
		return 0, err
	}
	data, err := s.masks.mask(ctx, id, c.Step, c.Offset, c.Data, func(ctx context.Context) ([][]byte, error) {
		return s.secretValuesOf(ctx, j)
	})
	if err != nil {
		return 0, err
	}
	return s.logs.Append(ctx, id, c.Step, c.Offset, data)
}

// UploadArtifact stores an artifact of a job assigned to agentID (running,
// or just ended on it), kept for the job's artifacts.expire_in.
func (s *Service) UploadArtifact(ctx context.Context, agentID, jobID uuid.UUID, name string, r io.Reader) (jobs.Artifact, error) {
	j, err := s.q.GetJob(ctx, jobID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return jobs.Artifact{}, errNotAgentsJob()
		}
		return jobs.Artifact{}, err
	}
	if deref(j.AgentID) != agentID || (State(j.State) != StateRunning && State(j.State) != StateSuccess) {
		return jobs.Artifact{}, errNotAgentsJob()
	}
	sp, err := decodeSpec(j.Spec)
	if err != nil {
		return jobs.Artifact{}, err
	}
	if name == "" {
		name = DefaultArtifactName
	}
	a, err := s.artifacts.Put(ctx, j.ProjectID, j.ID, name, r, time.Duration(sp.ArtifactExpireS)*time.Second)
	if err != nil {
		return jobs.Artifact{}, err
	}
	return jobs.Artifact{ID: a.ID, Size: uint64(max(a.Size, 0)), SHA256: a.SHA256}, nil
}
