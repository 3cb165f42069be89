package git

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/audit"
	"github.com/hearth-dev/hearth/controlplane/internal/git/internal/db"
	"github.com/hearth-dev/hearth/controlplane/internal/repository"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
)

// RefUpdate is one ref a push moved (the leaf type pipeline and merge
// requests consume too).
type RefUpdate = repository.RefUpdate

// PushEvent is one accepted push: only the refs it actually moved.
type PushEvent struct {
	ID        uuid.UUID
	ProjectID uuid.UUID
	// PusherID is the user who pushed (uuid.Nil: unknown).
	PusherID uuid.UUID
	Refs     []RefUpdate
	At       time.Time
}

// PushEventSink receives each accepted push once its refs moved, before
// the client hears the push succeeded (PGStore: the outbox).
type PushEventSink interface {
	Trigger(ctx context.Context, e PushEvent) error
}

// PGStore keeps the git feature's rows in PostgreSQL: push events (it is a
// PushEventSink and the outbox the PushWorker consumes) and protected ref
// rules (it is a RefRules).
type PGStore struct {
	db *store.DB
	q  *db.Queries
}

// NewPGStore returns the store on d.
func NewPGStore(d *store.DB) *PGStore { return &PGStore{db: d, q: db.New(d)} }

// Trigger records e durably: the event, one pending outbox row per ref
// (for the PushWorker), its audit row ("git.push", actor from ctx) and a
// NOTIFY waking the workers, in one transaction. Nothing else happens
// here: pipelines and merge-request refreshes come from the worker.
func (s *PGStore) Trigger(ctx context.Context, e PushEvent) error {
	if e.ID == uuid.Nil {
		id, err := uuid.NewV7()
		if err != nil {
			return err
		}
		e.ID = id
	}
	refs, err := json.Marshal(e.Refs)
	if err != nil {
		return err
	}
	var pusher *uuid.UUID
	var pusherName string
	if e.PusherID != uuid.Nil {
		pusher = &e.PusherID
		// The worker acts for the pusher later; their name is the request's.
		if p := access.PrincipalFrom(ctx); p.Kind == access.User && p.UserID == e.PusherID {
			pusherName = p.Username
		}
	}
	return s.db.InTx(ctx, func(tx pgx.Tx) error {
		q := s.q.WithTx(tx)
		err := q.InsertPushEvent(ctx, db.InsertPushEventParams{ID: e.ID, ProjectID: e.ProjectID, PusherID: pusher, PusherName: pusherName, Refs: refs})
		if err != nil {
			return err
		}
		names := make([]string, 0, len(e.Refs))
		for i, r := range e.Refs {
			names = append(names, r.Ref)
			err := q.InsertPushRef(ctx, db.InsertPushRefParams{
				EventID: e.ID, Position: int32(i),
				Ref: r.Ref, OldSha: r.Old, NewSha: r.New,
			})
			if err != nil {
				return err
			}
		}
		if err := q.NotifyPushEvents(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{
			Action: "git.push", Resource: "project/" + e.ProjectID.String(), ProjectID: e.ProjectID,
			Detail: map[string]any{"refs": names, "push_event": e.ID.String()},
		})
	})
}

// PushEvents lists a project's push events, oldest first (at most limit).
func (s *PGStore) PushEvents(ctx context.Context, projectID uuid.UUID, limit int32) ([]PushEvent, error) {
	rows, err := s.q.ListPushEvents(ctx, db.ListPushEventsParams{ProjectID: projectID, MaxRows: limit})
	if err != nil {
		return nil, err
	}
	out := make([]PushEvent, 0, len(rows))
	for _, r := range rows {
		e := PushEvent{ID: r.ID, ProjectID: r.ProjectID, At: r.CreatedAt}
		if r.PusherID != nil {
			e.PusherID = *r.PusherID
		}
		if err := json.Unmarshal(r.Refs, &e.Refs); err != nil {
			return nil, fmt.Errorf("push event %s: %w", r.ID, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// ProtectedRefs returns a project's protection rules.
func (s *PGStore) ProtectedRefs(ctx context.Context, projectID uuid.UUID) ([]ProtectedRef, error) {
	rows, err := s.q.ListProtectedRefs(ctx, projectID)
	if err != nil {
		return nil, err
	}
	out := make([]ProtectedRef, 0, len(rows))
	for _, r := range rows {
		perm, err := access.ParsePermission(r.PushPermission)
		if err != nil {
			return nil, err
		}
		out = append(out, ProtectedRef{
			Kind: RefKind(r.Kind), Pattern: r.Pattern, AllowForcePush: r.AllowForcePush,
			AllowDeletion: r.AllowDeletion, PushPermission: perm,
			RequiredApprovals: int(r.RequiredApprovals), RequirePipeline: r.RequirePipeline,
		})
	}
	return out, nil
}

// SetProtectedRef creates or replaces the rule of its kind and pattern
// (audited as "git.protect"). The caller authorizes (ProjectAdmin).
func (s *PGStore) SetProtectedRef(ctx context.Context, projectID uuid.UUID, p ProtectedRef) error {
	if p.PushPermission == 0 {
		p.PushPermission = access.RepoWrite
	}
	if err := p.Validate(); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx pgx.Tx) error {
		_, err := s.q.WithTx(tx).UpsertProtectedRef(ctx, db.UpsertProtectedRefParams{
			ProjectID: projectID, Kind: string(p.Kind), Pattern: p.Pattern, AllowForcePush: p.AllowForcePush,
			AllowDeletion: p.AllowDeletion, PushPermission: p.PushPermission.String(),
			RequiredApprovals: int32(p.RequiredApprovals), //nolint:gosec // G115: Validate bounds it to 0..50.
			RequirePipeline:   p.RequirePipeline,
		})
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{
			Action: "git.protect", Resource: "project/" + projectID.String(), ProjectID: projectID,
			Detail: map[string]any{"kind": string(p.Kind), "pattern": p.Pattern, "allow_force_push": p.AllowForcePush,
				"allow_deletion": p.AllowDeletion, "push_permission": p.PushPermission.String(),
				"required_approvals": p.RequiredApprovals, "require_pipeline": p.RequirePipeline},
		})
	})
}

// MergeRules returns the strictest merge requirements of the branch rules
// matching branch (short name, "main" or "release/1.0"; matched as push
// rules match it, path.Match): the most required approvals and whether any
// requires a green pipeline. No matching rule: 0 and false.
func (s *PGStore) MergeRules(ctx context.Context, projectID uuid.UUID, branch string) (requiredApprovals int, requirePipeline bool, err error) {
	rows, err := s.q.ListBranchMergeRules(ctx, projectID)
	if err != nil {
		return 0, false, err
	}
	for _, r := range rows {
		if !patternMatches(r.Pattern, branch) {
			continue
		}
		requiredApprovals = max(requiredApprovals, int(r.RequiredApprovals))
		requirePipeline = requirePipeline || r.RequirePipeline
	}
	return requiredApprovals, requirePipeline, nil
}

// DeleteProtectedRef removes a rule (audited as "git.unprotect");
// store.ErrNotFound when there was none.
func (s *PGStore) DeleteProtectedRef(ctx context.Context, projectID uuid.UUID, kind RefKind, pattern string) error {
	return s.db.InTx(ctx, func(tx pgx.Tx) error {
		n, err := s.q.WithTx(tx).DeleteProtectedRef(ctx, db.DeleteProtectedRefParams{ProjectID: projectID, Kind: string(kind), Pattern: pattern})
		if err != nil {
			return err
		}
		if n == 0 {
			return store.ErrNotFound
		}
		return audit.Record(ctx, tx, audit.Event{
			Action: "git.unprotect", Resource: "project/" + projectID.String(), ProjectID: projectID,
			Detail: map[string]any{"kind": string(kind), "pattern": pattern},
		})
	})
}

// pkt-lines (gitprotocol-common(5)).
const (
	maxPktLen = 65520
	// maxCommandBytes and maxCommands bound a push's command list, which is
	// held in memory until it is checked.
	maxCommandBytes = 4 << 20
	maxCommands     = 20000
)

var (
	errBadPkt         = errors.New("malformed pkt-line")
	errTooManyCommand = errors.New("too many ref updates in one push")
)

// pktLen parses a pkt-line header: 0 flush, 1 delim, 2 response-end, or
// the length of the whole line (4..65520).
func pktLen(h []byte) (int, bool) {
	n := 0
	for _, c := range h[:4] {
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		default:
			return 0, false
		}
		n = n<<4 | int(v)
	}
	if n == 3 || n > maxPktLen {
		return 0, false
	}
	return n, true
}

// readCommands reads a push's leading pkt-lines up to the first flush: the
// ref updates (and shallow lines, skipped). It returns the commands and the
// raw bytes read, to hand to git unchanged.
func readCommands(r io.Reader) ([]RefCommand, []byte, error) {
	var raw bytes.Buffer
	var cmds []RefCommand
	buf := make([]byte, maxPktLen)
	for {
		if _, err := io.ReadFull(r, buf[:4]); err != nil {
			return nil, nil, fmt.Errorf("%w: %w", errBadPkt, err)
		}
		n, ok := pktLen(buf[:4])
		if !ok || n == 1 || n == 2 {
			return nil, nil, errBadPkt
		}
		raw.Write(buf[:4])
		if n == 0 {
			return cmds, raw.Bytes(), nil
		}
		if raw.Len()+n > maxCommandBytes {
			return nil, nil, errTooManyCommand
		}
		line := buf[4:n]
		if _, err := io.ReadFull(r, line); err != nil {
			return nil, nil, fmt.Errorf("%w: %w", errBadPkt, err)
		}
		raw.Write(line)
		s := string(line)
		if i := strings.IndexByte(s, 0); i >= 0 {
			s = s[:i] // capabilities follow the first command
		}
		s = strings.TrimSuffix(s, "\n")
		if strings.HasPrefix(s, "shallow ") || s == "" {
			continue
		}
		if strings.HasPrefix(s, "push-cert") {
			return nil, nil, fmt.Errorf("%w: signed pushes are not supported", errBadPkt)
		}
		f := strings.Split(s, " ")
		if len(f) != 3 || !isHexID(f[0]) || !isHexID(f[1]) {
			return nil, nil, fmt.Errorf("%w: bad ref update", errBadPkt)
		}
		if len(cmds) == maxCommands {
			return nil, nil, errTooManyCommand
		}
		cmds = append(cmds, RefCommand{Old: f[0], New: f[1], Ref: f[2]})
	}
}

func isHexID(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// pktValidator passes a stream of pkt-lines through, failing at the first
// malformed header (an oversized line included) without buffering lines.
type pktValidator struct {
	r         io.Reader
	hdr       [4]byte
	nhdr      int
	remaining int
	bad       bool
}

func (v *pktValidator) Read(p []byte) (int, error) {
	if v.bad {
		return 0, errBadPkt
	}
	n, err := v.r.Read(p)
	for i := 0; i < n; {
		if v.remaining > 0 {
			k := min(v.remaining, n-i)
			v.remaining -= k
			i += k
			continue
		}
		v.hdr[v.nhdr] = p[i]
		v.nhdr++
		i++
		if v.nhdr < 4 {
			continue
		}
		v.nhdr = 0
		l, ok := pktLen(v.hdr[:])
		if !ok {
			v.bad = true
			return 0, errBadPkt
		}
		if l >= 4 {
			v.remaining = l - 4
		}
	}
	return n, err
}
