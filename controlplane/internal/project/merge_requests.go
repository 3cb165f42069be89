package project

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/audit"
	"github.com/hearth-dev/hearth/controlplane/internal/project/internal/db"
	"github.com/hearth-dev/hearth/controlplane/internal/repository"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
	"github.com/hearth-dev/hearth/shared/gitref"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// Merge request states.
const (
	MergeRequestOpen   = "open"
	MergeRequestMerged = "merged"
	MergeRequestClosed = "closed"
)

// Mergeability of a merge request, as last computed.
const (
	MergeUnchecked = "unchecked"
	MergeClean     = "mergeable"
	MergeConflicts = "conflicts"
	// MergeUnrelated: the source and the target share no history, so they
	// cannot be merged. It is stored as "conflicts" without conflicting
	// files (the table's check constraint predates it).
	MergeUnrelated = "unrelated"
)

// unrelatedBlocker is why a merge request of unrelated branches is not
// mergeable.
const unrelatedBlocker = "the source and target branches share no history"

// MergeMethod is how a merge request is merged.
type MergeMethod = repository.MergeMethod

// Merge methods.
const (
	MergeCommitMethod = repository.MergeCommit
	SquashMethod      = repository.Squash
	FastForwardMethod = repository.FastForward
)

// MergeRequest is one merge request of a project.
type MergeRequest struct {
	ID           uuid.UUID
	ProjectID    uuid.UUID
	Number       int64
	SourceBranch string
	TargetBranch string
	Title        string
	Description  string
	Draft        bool
	State        string
	AuthorID     uuid.UUID
	Author       string
	// HeadCommit is the source branch's commit when last seen.
	HeadCommit string
	Status     MergeStatus
	Reviewers  []string
	// ApprovedBy are the reviewers whose latest review approves HeadCommit.
	ApprovedBy   []string
	MergedBy     string
	MergeCommit  string
	MergedAt     *time.Time
	ClosedAt     *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
	Requirements *MergeRequirements
	// References resolved in the description (GetMergeRequest only).
	IssueReferences        []IssueReference
	MergeRequestReferences []MergeRequestReference
}

// MergeStatus is a mergeability check of two commits.
type MergeStatus struct {
	Mergeability   string // MergeUnchecked, MergeClean, MergeConflicts or MergeUnrelated
	TargetCommit   string
	SourceCommit   string
	Conflicts      []string
	CanFastForward bool
	CheckedAt      *time.Time
	// UpToDate: the source is already in the target (not stored: only a
	// fresh check has it).
	UpToDate bool
}

// MergeRequirements is what GetMergeRequest adds: the target's merge
// rules, the head's latest pipeline and what blocks the merge now.
type MergeRequirements struct {
	RequiredApprovals int
	RequiresPipeline  bool
	Pipeline          PipelineStatus
	Blockers          []string
}

// MergeRequestReference is a merge request a text mentions ("!3").
type MergeRequestReference struct {
	Number int64
	Title  string
	State  string
}

// MergeRequestFilter selects merge requests to list.
type MergeRequestFilter struct {
	State  string // "" for every state
	Before int64  // numbered below it (0: from the newest)
	Limit  int
}

// MergeRequestChange is an update; nil fields are unchanged.
type MergeRequestChange struct {
	Title       *string
	Description *string
	Draft       *bool
	State       *string // MergeRequestOpen (reopen) or MergeRequestClosed
}

// MergeCheck is a mergeability check.
type MergeCheck = repository.MergeCheck

// MergeSpec is one merge to perform.
type MergeSpec = repository.MergeSpec

// ErrRefMoved is wrapped by MergeRepositories' errors when a ref was not
// where the caller expected it (a concurrent push won).
var ErrRefMoved = repository.ErrRefMoved

// MergeRepositories is what merge requests need of the git feature. A
// branch is a short name ("main").
type MergeRepositories interface {
	// BranchCommit returns the commit branch points at; an apperr NotFound
	// when there is no such branch.
	BranchCommit(ctx context.Context, projectID uuid.UUID, branch string) (string, error)
	// CheckMerge computes mergeability without a worktree.
	CheckMerge(ctx context.Context, projectID uuid.UUID, targetCommit, sourceCommit string) (MergeCheck, error)
	// Merge merges and moves the target (ErrRefMoved when it moved); an
	// apperr FailedPrecondition for conflicts or an impossible fast-forward.
	Merge(ctx context.Context, projectID uuid.UUID, spec MergeSpec) (string, error)
	// DeleteBranch deletes branch if it is still at expected (ErrRefMoved).
	DeleteBranch(ctx context.Context, projectID uuid.UUID, branch, expected string) error
	// IsAncestor reports whether ancestor is descendant or one of its
	// ancestors.
	IsAncestor(ctx context.Context, projectID uuid.UUID, ancestor, descendant string) (bool, error)
	// LineCount counts the lines of path at rev (a commit, or commit^ for
	// its first parent); an apperr NotFound when there is no such file.
	LineCount(ctx context.Context, projectID uuid.UUID, rev, path string) (int, error)
	// MergeRules are the target branch's protection requirements.
	MergeRules(ctx context.Context, projectID uuid.UUID, branch string) (requiredApprovals int, requirePipeline bool, err error)
	// BranchUpdateAllowed decides, with the project's ref rules exactly as
	// a push is decided, whether a principal holding the permissions can
	// answers may move branch forward (deleting false: a merge only ever
	// fast-forwards its target) or delete it; reason says why not.
	BranchUpdateAllowed(ctx context.Context, projectID uuid.UUID, branch string, deleting bool, can func(access.Permission) bool) (allowed bool, reason string, err error)
}

// PipelineStatus is a commit's newest pipeline (zero: none).
type PipelineStatus struct {
	ID    uuid.UUID
	State string // pending, running, success, failure, cancelled
}

// MergeRequestPipeline asks for a merge_request pipeline.
type MergeRequestPipeline struct {
	ProjectID    uuid.UUID
	Number       int64
	SourceBranch string
	TargetBranch string
	Commit       string
	TriggeredBy  uuid.UUID
}

// MergeRequestPipelines is the pipeline feature.
type MergeRequestPipelines interface {
	TriggerMergeRequest(ctx context.Context, e MergeRequestPipeline) error
	// LatestStatus is the newest pipeline of commit, whatever its event.
	LatestStatus(ctx context.Context, projectID uuid.UUID, commit string) (PipelineStatus, error)
}

// Committers is what merge requests need of users (auth): the name and
// email a user commits as (a valid git identity), and whether the user is
// still active (a deactivated user's approvals do not count).
type Committers interface {
	Committer(ctx context.Context, userID uuid.UUID) (name, email string, err error)
	Active(ctx context.Context, userID uuid.UUID) (bool, error)
}

// RefUpdate is one ref that moved (the leaf type git's push outbox
// records).
type RefUpdate = repository.RefUpdate

// PushRecorder tells the rest of the system that a merge moved refs, as a
// push would have (push event, push pipeline, other merge requests).
type PushRecorder interface {
	RecordPush(ctx context.Context, projectID, pusherID uuid.UUID, refs []RefUpdate) error
}

// MergeRequestDeps is what merge requests need besides the Service.
type MergeRequestDeps struct {
	Logger     zerolog.Logger
	Repos      MergeRepositories
	Pipelines  MergeRequestPipelines
	Committers Committers
	Pushes     PushRecorder
	// BeforeMerge, when set, runs after a merge attempt's checks and before
	// the merge (tests move the target there).
	BeforeMerge func(ctx context.Context, projectID uuid.UUID, number int64, attempt int)
}

// MergeRequests manages merge requests: its own type beside Service, whose
// store, events and project rules it shares.
type MergeRequests struct {
	svc       *Service
	log       zerolog.Logger
	repos     MergeRepositories
	pipelines MergeRequestPipelines
	users     Committers
	pushes    PushRecorder
	hook      func(ctx context.Context, projectID uuid.UUID, number int64, attempt int)
}

// NewMergeRequests builds merge requests on svc.
func NewMergeRequests(svc *Service, d MergeRequestDeps) (*MergeRequests, error) {
	if svc == nil || d.Repos == nil || d.Pipelines == nil || d.Committers == nil || d.Pushes == nil {
		return nil, errors.New("project: merge requests need the Service, Repos, Pipelines, Committers and Pushes")
	}
	return &MergeRequests{
		svc: svc, log: d.Logger, repos: d.Repos, pipelines: d.Pipelines, users: d.Committers, pushes: d.Pushes,
		hook: d.BeforeMerge,
	}, nil
}

// Service is the project service merge requests belong to.
func (m *MergeRequests) Service() *Service { return m.svc }

// mergeRequestMention is "!3" not preceded by a word character, '&' or
// '/' (as issueMention).
var mergeRequestMention = regexp.MustCompile(`(?:^|[^\w&/])!([0-9]{1,18})\b`)

// MergeRequestMentions returns the distinct merge request numbers a text
// mentions as "!<number>", in order of first mention, at most
// maxReferences.
func MergeRequestMentions(text string) []int64 { return mentionsOf(mergeRequestMention, text) }

// mergeRequestReferences resolves the "!N" mentions of text.
func (s *Service) mergeRequestReferences(ctx context.Context, project uuid.UUID, text string) ([]MergeRequestReference, error) {
	numbers := MergeRequestMentions(text)
	if len(numbers) == 0 {
		return nil, nil
	}
	rows, err := s.q.MergeRequestsByNumber(ctx, db.MergeRequestsByNumberParams{ProjectID: project, Numbers: numbers})
	if err != nil {
		return nil, err
	}
	out := make([]MergeRequestReference, len(rows))
	for i, r := range rows {
		out[i] = MergeRequestReference{Number: r.Number, Title: r.Title, State: r.State}
	}
	return out, nil
}

// issueReferences resolves the "#N" mentions of text.
func (s *Service) issueReferences(ctx context.Context, project uuid.UUID, text string) ([]IssueReference, error) {
	numbers := Mentions(text)
	if len(numbers) == 0 {
		return nil, nil
	}
	rows, err := s.q.IssuesByNumber(ctx, db.IssuesByNumberParams{ProjectID: project, Numbers: numbers})
	if err != nil {
		return nil, err
	}
	out := make([]IssueReference, len(rows))
	for i, r := range rows {
		out[i] = IssueReference{Number: r.Number, Title: r.Title, State: r.State}
	}
	return out, nil
}

// validateBranch checks a branch name from a request before git sees it.
func validateBranch(field, b string) error {
	if !gitref.ValidBranchName(b) {
		return apperr.Invalid("%s: %q is not a valid branch name", field, truncate(b))
	}
	return nil
}

// branchCommit resolves a branch, naming it in the error when missing.
func (m *MergeRequests) branchCommit(ctx context.Context, project uuid.UUID, what, branch string) (string, error) {
	c, err := m.repos.BranchCommit(ctx, project, branch)
	if err != nil {
		if e, ok := apperr.As(err); ok && e.Kind == apperr.KindNotFound || errors.Is(err, store.ErrNotFound) {
			return "", apperr.NotFound("%s branch %q does not exist", what, truncate(branch))
		}
		return "", err
	}
	return c, nil
}

// Create opens a merge request from source into target, as author.
func (m *MergeRequests) Create(ctx context.Context, author access.Principal, project uuid.UUID, source, target, title, description string, draft bool) (MergeRequest, error) {
	if err := signedIn(author); err != nil {
		return MergeRequest{}, err
	}
	if err := validateBranch("source_branch", source); err != nil {
		return MergeRequest{}, err
	}
	if err := validateBranch("target_branch", target); err != nil {
		return MergeRequest{}, err
	}
	if source == target {
		return MergeRequest{}, apperr.Invalid("source and target branch are both %q: pick two different branches", truncate(source))
	}
	title, err := validateTitle(title)
	if err != nil {
		return MergeRequest{}, err
	}
	if err := validateBody(description, false); err != nil {
		return MergeRequest{}, apperr.Invalid("description: valid UTF-8 text of at most %d bytes", MaxBodyBytes)
	}
	if err := m.svc.requireWritable(ctx, project); err != nil {
		return MergeRequest{}, err
	}
	head, err := m.branchCommit(ctx, project, "source", source)
	if err != nil {
		return MergeRequest{}, err
	}
	if _, err := m.branchCommit(ctx, project, "target", target); err != nil {
		return MergeRequest{}, err
	}
	mentioned, err := m.svc.mentionedUsers(ctx, description)
	if err != nil {
		return MergeRequest{}, err
	}
	var row db.MergeRequest
	err = m.svc.db.InTx(ctx, func(tx pgx.Tx) error {
		q := m.svc.q.WithTx(tx)
		n, err := q.NextMergeRequestNumber(ctx, project)
		if err != nil {
			return err
		}
		row, err = q.CreateMergeRequest(ctx, db.CreateMergeRequestParams{
			ProjectID: project, Number: n, SourceBranch: source, TargetBranch: target, Title: title,
			Description: description, Draft: draft, AuthorID: author.UserID, AuthorName: author.Username, HeadCommit: head,
		})
		if err != nil {
			if errors.Is(err, store.ErrConflict) {
				return apperr.Conflict("an open merge request from %s into %s exists already", source, target)
			}
			return err
		}
		if err := audit.Record(ctx, tx, audit.Event{
			Action: "merge_request.create", Resource: "merge_request/" + row.ID.String(), ProjectID: project,
			Detail: map[string]any{"number": n, "source": source, "target": target},
		}); err != nil {
			return err
		}
		if err := m.svc.publish(ctx, tx, Event{
			Kind: EventMergeRequestCreated, ProjectID: project, Subject: MergeRequestSubject(n),
			Detail: map[string]any{"title": title, "source": source, "target": target, "draft": draft},
		}); err != nil {
			return err
		}
		return m.svc.publishMentions(ctx, tx, project, MergeRequestSubject(n), mentioned, map[string]any{"title": title})
	})
	if err != nil {
		return MergeRequest{}, err
	}
	mr := mergeRequestFromRow(row)
	// Opening triggers its pipeline; a failure to plan one is not a failure
	// to open (the push pipeline of the same commit may exist anyway).
	_ = m.triggerPipeline(ctx, mr, head, author.UserID) // logged; opening the merge request stands
	if st, err := m.recordCheck(ctx, mr, head); err == nil {
		mr.Status = st
	} else {
		m.log.Warn().Err(err).Int64(logfield.MergeRequest, mr.Number).Msg("could not compute mergeability")
	}
	return mr, nil
}

// triggerPipeline asks for the merge request's pipeline of commit. A
// failure is logged; a transient one (a dependency down, an internal
// error) is returned too, so that the push outbox retries the refresh.
func (m *MergeRequests) triggerPipeline(ctx context.Context, mr MergeRequest, commit string, by uuid.UUID) error {
	err := m.pipelines.TriggerMergeRequest(ctx, MergeRequestPipeline{
		ProjectID: mr.ProjectID, Number: mr.Number, SourceBranch: mr.SourceBranch, TargetBranch: mr.TargetBranch,
		Commit: commit, TriggeredBy: by,
	})
	if err == nil {
		return nil
	}
	m.log.Warn().Err(err).Str(logfield.ProjectID, mr.ProjectID.String()).Int64(logfield.MergeRequest, mr.Number).
		Msg("could not trigger the merge request's pipeline")
	switch apperr.Classify(err).Kind {
	case apperr.KindInternal, apperr.KindUnavailable, apperr.KindDeadlineExceeded, apperr.KindCanceled:
		return fmt.Errorf("triggering the pipeline of !%d: %w", mr.Number, err)
	}
	return nil
}

// row returns merge request number of project without decoration.
func (m *MergeRequests) row(ctx context.Context, project uuid.UUID, number int64) (MergeRequest, error) {
	row, err := m.svc.q.GetMergeRequest(ctx, db.GetMergeRequestParams{ProjectID: project, Number: number})
	if err != nil {
		return MergeRequest{}, apperr.IfNotFound(err, "merge request not found")
	}
	return mergeRequestFromRow(row), nil
}

// Get returns merge request number of project with its mergeability
// recomputed when either branch moved since the last check, its
// approvals, requirements, latest pipeline and resolved references.
func (m *MergeRequests) Get(ctx context.Context, project uuid.UUID, number int64) (MergeRequest, error) {
	mr, err := m.row(ctx, project, number)
	if err != nil {
		return MergeRequest{}, err
	}
	if mr.State == MergeRequestOpen {
		if err := m.refreshOne(ctx, &mr); err != nil {
			return MergeRequest{}, err
		}
	}
	out, err := m.decorate(ctx, []MergeRequest{mr})
	if err != nil {
		return MergeRequest{}, err
	}
	mr = out[0]
	req, err := m.requirements(ctx, mr)
	if err != nil {
		return MergeRequest{}, err
	}
	mr.Requirements = &req
	if mr.IssueReferences, err = m.svc.issueReferences(ctx, project, mr.Description); err != nil {
		return MergeRequest{}, err
	}
	if mr.MergeRequestReferences, err = m.svc.mergeRequestReferences(ctx, project, mr.Description); err != nil {
		return MergeRequest{}, err
	}
	return mr, nil
}

// refreshOne brings an open merge request's head and mergeability up to
// date with its branches (a source that no longer exists keeps the last
// head and check). A head that reached the target since the last check
// (pushed into it, or merged by a merge whose transaction did not commit)
// marks the merge request merged, as GitLab does: mr is then merged.
func (m *MergeRequests) refreshOne(ctx context.Context, mr *MergeRequest) error {
	source, err := m.repos.BranchCommit(ctx, mr.ProjectID, mr.SourceBranch)
	if err != nil {
		if apperr.KindOf(err) == apperr.KindNotFound {
			return nil
		}
		return err
	}
	target, err := m.repos.BranchCommit(ctx, mr.ProjectID, mr.TargetBranch)
	if err != nil {
		if apperr.KindOf(err) == apperr.KindNotFound {
			return nil
		}
		return err
	}
	checked := mr.Status.SourceCommit == mr.HeadCommit && mr.Status.TargetCommit == target
	if checked && source == mr.HeadCommit {
		return nil // nothing moved since the last check
	}
	if source != mr.HeadCommit {
		if err := m.svc.q.SetMergeRequestHead(ctx, db.SetMergeRequestHeadParams{ID: mr.ID, HeadCommit: source}); err != nil {
			return err
		}
		mr.HeadCommit = source
	}
	st, err := m.check(ctx, *mr, target, source)
	if err != nil {
		return err
	}
	landed, err := m.landedSince(ctx, *mr, mr.Status.TargetCommit, st)
	if err != nil {
		return err
	}
	if landed {
		var merged MergeRequest
		var ok bool
		err := m.svc.db.InTx(ctx, func(tx pgx.Tx) error {
			merged, ok, err = m.markMergedByPush(ctx, tx, *mr, target)
			return err
		})
		if err != nil {
			return err
		}
		if ok {
			*mr = merged
			return nil
		}
		// It changed meanwhile (merged, closed or moved): the row decides.
		fresh, err := m.row(ctx, mr.ProjectID, mr.Number)
		if err != nil {
			return err
		}
		*mr = fresh
		return nil
	}
	mr.Status = st
	return m.saveStatus(ctx, m.svc.q, mr.ID, st)
}

// landedSince reports whether the merge request's head reached its target
// since prevTarget (the target last checked): the head is in the target
// now (st.UpToDate) but was not in prevTarget. A head that was already in
// the target when the merge request was checked (an empty merge request,
// or a source reset to an older commit) has not landed: such a merge
// request stays open with nothing to merge.
func (m *MergeRequests) landedSince(ctx context.Context, mr MergeRequest, prevTarget string, st MergeStatus) (bool, error) {
	if !st.UpToDate || prevTarget == "" || prevTarget == st.TargetCommit {
		return false, nil
	}
	was, err := m.repos.IsAncestor(ctx, mr.ProjectID, st.SourceCommit, prevTarget)
	if err != nil {
		if apperr.KindOf(err) == apperr.KindNotFound { // the old target is gone: it did not contain it
			return true, nil
		}
		return false, err
	}
	return !was, nil
}

// markMergedByPush records in tx that mr's head reached the target by
// other means than a merge of it: merged by no one, merge commit target
// (the target commit found to contain the head), event
// merge_request.merged with by_push. ok is false when the merge request is
// no longer open at that head (nothing changed).
func (m *MergeRequests) markMergedByPush(ctx context.Context, tx pgx.Tx, mr MergeRequest, target string) (MergeRequest, bool, error) {
	rows, err := m.svc.q.WithTx(tx).MarkMergeRequestMergedByPush(ctx, db.MarkMergeRequestMergedByPushParams{
		ID: mr.ID, HeadCommit: mr.HeadCommit, MergeCommit: target,
	})
	if err != nil || len(rows) == 0 {
		return MergeRequest{}, false, err
	}
	// The system did it, not whoever's request noticed it.
	sys := access.WithPrincipal(audit.WithClient(ctx, audit.Client{}), access.AnonymousPrincipal)
	if err := audit.Record(sys, tx, audit.Event{
		Action: "merge_request.merge", Resource: "merge_request/" + mr.ID.String(), ProjectID: mr.ProjectID,
		Detail: map[string]any{"number": mr.Number, "by_push": true, "commit": target, "target": mr.TargetBranch},
	}); err != nil {
		return MergeRequest{}, false, err
	}
	if err := m.svc.publish(sys, tx, Event{
		Kind: EventMergeRequestMerged, ProjectID: mr.ProjectID, Subject: MergeRequestSubject(mr.Number),
		Detail: map[string]any{"by_push": true, "merge_commit": target, "target": mr.TargetBranch},
	}); err != nil {
		return MergeRequest{}, false, err
	}
	m.log.Info().Str(logfield.ProjectID, mr.ProjectID.String()).Int64(logfield.MergeRequest, mr.Number).
		Msg("merge request's head is in its target: marked merged")
	return mergeRequestFromRow(rows[0]), true, nil
}

// check computes the mergeability of source into target.
func (m *MergeRequests) check(ctx context.Context, mr MergeRequest, target, source string) (MergeStatus, error) {
	c, err := m.repos.CheckMerge(ctx, mr.ProjectID, target, source)
	if err != nil {
		return MergeStatus{}, err
	}
	now := time.Now()
	if c.Unrelated {
		return MergeStatus{Mergeability: MergeUnrelated, TargetCommit: target, SourceCommit: source, CheckedAt: &now}, nil
	}
	st := MergeStatus{
		Mergeability: MergeClean, TargetCommit: target, SourceCommit: source, CanFastForward: c.FastForward,
		CheckedAt: &now, UpToDate: c.UpToDate,
	}
	if !c.Clean {
		st.Mergeability, st.Conflicts = MergeConflicts, c.Conflicts
	}
	return st, nil
}

// recordCheck computes and stores the mergeability of the current target
// against source.
func (m *MergeRequests) recordCheck(ctx context.Context, mr MergeRequest, source string) (MergeStatus, error) {
	target, err := m.repos.BranchCommit(ctx, mr.ProjectID, mr.TargetBranch)
	if err != nil {
		return MergeStatus{}, err
	}
	st, err := m.check(ctx, mr, target, source)
	if err != nil {
		return MergeStatus{}, err
	}
	return st, m.saveStatus(ctx, m.svc.q, mr.ID, st)
}

func (m *MergeRequests) saveStatus(ctx context.Context, q *db.Queries, id uuid.UUID, st MergeStatus) error {
	conflicts := st.Conflicts
	if conflicts == nil {
		conflicts = []string{}
	}
	return q.SetMergeStatus(ctx, db.SetMergeStatusParams{
		ID: id, MergeStatus: st.Mergeability, CheckedTargetCommit: st.TargetCommit, CheckedSourceCommit: st.SourceCommit,
		Conflicts: conflicts, CanFastForward: st.CanFastForward,
	})
}

// List lists a project's merge requests, newest number first, with the
// mergeability last recorded.
func (m *MergeRequests) List(ctx context.Context, project uuid.UUID, f MergeRequestFilter) ([]MergeRequest, error) {
	if f.Limit <= 0 || f.Limit > 100 {
		f.Limit = 30
	}
	if f.Before <= 0 {
		f.Before = 1 << 62
	}
	p := db.ListMergeRequestsParams{ProjectID: project, Before: f.Before, Max: int32(f.Limit)} //nolint:gosec // G115: 1-100
	if f.State != "" {
		p.State = &f.State
	}
	rows, err := m.svc.q.ListMergeRequests(ctx, p)
	if err != nil {
		return nil, err
	}
	out := make([]MergeRequest, len(rows))
	for i, r := range rows {
		out[i] = mergeRequestFromRow(r)
	}
	return m.decorate(ctx, out)
}

// decorate fills reviewers and approvals.
func (m *MergeRequests) decorate(ctx context.Context, mrs []MergeRequest) ([]MergeRequest, error) {
	if len(mrs) == 0 {
		return mrs, nil
	}
	ids := make([]uuid.UUID, len(mrs))
	at := make(map[uuid.UUID]int, len(mrs))
	for i, mr := range mrs {
		ids[i], at[mr.ID] = mr.ID, i
	}
	reviewers, err := m.svc.q.MergeRequestReviewers(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, r := range reviewers {
		mrs[at[r.MergeRequestID]].Reviewers = append(mrs[at[r.MergeRequestID]].Reviewers, r.UserName)
	}
	for i := range mrs {
		approvers, err := m.approvers(ctx, m.svc.q, mrs[i], mrs[i].HeadCommit)
		if err != nil {
			return nil, err
		}
		mrs[i].ApprovedBy = approvers
	}
	return mrs, nil
}

// approvers are the reviewers (never the author) whose latest review
// approves commit and who may still approve now: active users holding
// project:write on the project (an approval from someone since removed
// from the project, or deactivated, no longer counts).
func (m *MergeRequests) approvers(ctx context.Context, q *db.Queries, mr MergeRequest, commit string) ([]string, error) {
	rows, err := q.CommitApprovers(ctx, db.CommitApproversParams{MergeRequestID: mr.ID, CommitSha: commit, AuthorID: mr.AuthorID})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range rows {
		ok, err := m.mayApprove(ctx, mr.ProjectID, r.ReviewerID, r.ReviewerName)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, r.ReviewerName)
		}
	}
	return out, nil
}

// mayApprove reports whether the user is active and holds project:write on
// project now.
func (m *MergeRequests) mayApprove(ctx context.Context, project, user uuid.UUID, name string) (bool, error) {
	active, err := m.users.Active(ctx, user)
	if err != nil {
		if apperr.KindOf(err) == apperr.KindNotFound {
			return false, nil
		}
		return false, err
	}
	if !active {
		return false, nil
	}
	err = m.svc.roles.Authorize(ctx, access.Principal{Kind: access.User, UserID: user, Username: name}, access.ProjectWrite, project)
	if err == nil {
		return true, nil
	}
	if _, denied := apperr.As(err); denied {
		return false, nil
	}
	return false, err
}

// Update applies change to merge request number. Callers authorize first:
// the API's rule asks project:write unless the caller wrote it.
func (m *MergeRequests) Update(ctx context.Context, project uuid.UUID, number int64, change MergeRequestChange) (MergeRequest, error) {
	if change.Title != nil {
		t, err := validateTitle(*change.Title)
		if err != nil {
			return MergeRequest{}, err
		}
		change.Title = &t
	}
	if change.Description != nil {
		if err := validateBody(*change.Description, false); err != nil {
			return MergeRequest{}, apperr.Invalid("description: valid UTF-8 text of at most %d bytes", MaxBodyBytes)
		}
	}
	if change.State != nil && *change.State != MergeRequestOpen && *change.State != MergeRequestClosed {
		return MergeRequest{}, apperr.Invalid("state: open (reopen) or closed; merge with the merge call")
	}
	if err := m.svc.requireWritable(ctx, project); err != nil {
		return MergeRequest{}, err
	}
	var out MergeRequest
	reopened := false
	err := m.svc.db.InTx(ctx, func(tx pgx.Tx) error {
		q := m.svc.q.WithTx(tx)
		row, err := q.GetMergeRequestForUpdate(ctx, db.GetMergeRequestForUpdateParams{ProjectID: project, Number: number})
		if err != nil {
			return apperr.IfNotFound(err, "merge request not found")
		}
		cur := mergeRequestFromRow(row)
		if cur.State == MergeRequestMerged {
			return apperr.FailedPrecondition("merge request !%d is merged; it cannot change", number)
		}
		p := db.UpdateMergeRequestParams{ID: cur.ID, Title: cur.Title, Description: cur.Description, Draft: cur.Draft, State: cur.State}
		detail := map[string]any{"number": number}
		if change.Title != nil {
			p.Title, detail["title"] = *change.Title, true
		}
		if change.Description != nil {
			p.Description, detail["description"] = *change.Description, true
		}
		if change.Draft != nil {
			p.Draft, detail["draft"] = *change.Draft, *change.Draft
		}
		if change.State != nil {
			p.State, detail["state"] = *change.State, *change.State
		}
		head := ""
		if p.State == MergeRequestOpen && cur.State == MergeRequestClosed {
			// Reopening needs the source still there; its head may have moved.
			if head, err = m.branchCommit(ctx, project, "source", cur.SourceBranch); err != nil {
				return apperr.FailedPrecondition("cannot reopen !%d: source branch %q no longer exists", number, truncate(cur.SourceBranch))
			}
			reopened = true
		}
		fresh, err := q.UpdateMergeRequest(ctx, p)
		if err != nil {
			if errors.Is(err, store.ErrConflict) {
				return apperr.Conflict("another open merge request from %s into %s exists", cur.SourceBranch, cur.TargetBranch)
			}
			return err
		}
		if reopened && head != fresh.HeadCommit {
			if err := q.SetMergeRequestHead(ctx, db.SetMergeRequestHeadParams{ID: cur.ID, HeadCommit: head}); err != nil {
				return err
			}
			fresh.HeadCommit = head
		}
		out = mergeRequestFromRow(fresh)
		if err := audit.Record(ctx, tx, audit.Event{
			Action: "merge_request.update", Resource: "merge_request/" + cur.ID.String(), ProjectID: project, Detail: detail,
		}); err != nil {
			return err
		}
		if p.State == MergeRequestClosed && cur.State != MergeRequestClosed {
			return m.svc.publish(ctx, tx, Event{Kind: EventMergeRequestClosed, ProjectID: project, Subject: MergeRequestSubject(number)})
		}
		return nil
	})
	if err != nil {
		return MergeRequest{}, err
	}
	if reopened {
		if err := m.refreshOne(ctx, &out); err != nil {
			m.log.Warn().Err(err).Int64(logfield.MergeRequest, number).Msg("could not refresh a reopened merge request")
		}
	}
	res, err := m.decorate(ctx, []MergeRequest{out})
	if err != nil {
		return MergeRequest{}, err
	}
	return res[0], nil
}

func mergeRequestFromRow(r db.MergeRequest) MergeRequest {
	out := MergeRequest{
		ID: r.ID, ProjectID: r.ProjectID, Number: r.Number, SourceBranch: r.SourceBranch, TargetBranch: r.TargetBranch,
		Title: r.Title, Description: r.Description, Draft: r.Draft, State: r.State, AuthorID: r.AuthorID, Author: r.AuthorName,
		HeadCommit: r.HeadCommit, MergedBy: r.MergedByName, MergeCommit: r.MergeCommit, MergedAt: r.MergedAt,
		ClosedAt: r.ClosedAt, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		Status: MergeStatus{
			Mergeability: r.MergeStatus, TargetCommit: r.CheckedTargetCommit, SourceCommit: r.CheckedSourceCommit,
			Conflicts: r.Conflicts, CanFastForward: r.CanFastForward, CheckedAt: r.CheckedAt,
		},
	}
	return out
}

// shortSHA abbreviates a commit id for messages.
func shortSHA(sha string) string { return sha[:min(len(sha), 12)] }

// joinLimited lists up to n items, then how many more.
func joinLimited(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:n], ", ") + " and " + strconv.Itoa(len(items)-n) + " more"
}
