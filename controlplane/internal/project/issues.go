package project

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/audit"
	"github.com/hearth-dev/hearth/controlplane/internal/project/internal/db"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
)

// Issue states.
const (
	IssueOpen   = "open"
	IssueClosed = "closed"
)

// Limits on issues, comments and labels.
const (
	MaxTitleChars = 255
	MaxBodyBytes  = 64 << 10
	maxLabels     = 50
	maxAssignees  = 20
)

// Issue is one issue of a project.
type Issue struct {
	ID        uuid.UUID
	ProjectID uuid.UUID
	Number    int64
	Title     string
	Body      string
	State     string
	AuthorID  uuid.UUID
	Author    string
	Labels    []string
	Assignees []string
	CreatedAt time.Time
	UpdatedAt time.Time
	ClosedAt  *time.Time
	// References are the issues the body mentions ("#12"), when resolved.
	References []IssueReference
	// MergeRequestReferences are the merge requests the body mentions
	// ("!3"), when resolved.
	MergeRequestReferences []MergeRequestReference
}

// IssueReference is an issue a body mentions.
type IssueReference struct {
	Number int64
	Title  string
	State  string
}

// Comment is a comment on an issue.
type Comment struct {
	ID        uuid.UUID
	IssueID   uuid.UUID
	AuthorID  uuid.UUID
	Author    string
	Body      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Label is one of a project's labels.
type Label struct {
	Name        string
	Color       string
	Description string
}

// IssueFilter selects issues to list. Empty fields do not filter.
type IssueFilter struct {
	State    string // IssueOpen, IssueClosed or "" for all
	Label    string
	Assignee string
	Query    string
	// Before lists issues numbered below it (0: from the newest).
	Before int64
	Limit  int
}

// IssueChange is an update; nil fields are unchanged.
type IssueChange struct {
	Title     *string
	Body      *string
	State     *string
	Labels    *[]string
	Assignees *[]string
}

var (
	validColor    = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)
	validUsername = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$`)
	// issueMention is "#12" not preceded by a word character, '&' (an
	// HTML entity) or '/' (a URL fragment).
	issueMention = regexp.MustCompile(`(?:^|[^\w&/])#([0-9]{1,18})\b`)
)

// maxReferences bounds how many mentions of one body are resolved.
const maxReferences = 50

func validateTitle(title string) (string, error) {
	title = strings.TrimSpace(title)
	if title == "" || !utf8.ValidString(title) || utf8.RuneCountInString(title) > MaxTitleChars || strings.ContainsRune(title, 0) {
		return "", apperr.Invalid("title: 1-%d characters", MaxTitleChars)
	}
	return title, nil
}

func validateBody(body string, required bool) error {
	if len(body) > MaxBodyBytes || !utf8.ValidString(body) || strings.ContainsRune(body, 0) {
		return apperr.Invalid("body: valid UTF-8 text of at most %d bytes", MaxBodyBytes)
	}
	if required && strings.TrimSpace(body) == "" {
		return apperr.Invalid("body: must not be empty")
	}
	return nil
}

// ValidLabelName reports whether name may name a label: 1-50 characters,
// no commas or control characters, no surrounding spaces.
func ValidLabelName(name string) bool {
	if name == "" || !utf8.ValidString(name) || utf8.RuneCountInString(name) > 50 || strings.TrimSpace(name) != name {
		return false
	}
	for _, r := range name {
		if r == ',' || r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

func signedIn(p access.Principal) error {
	if p.IsAnonymous() || p.UserID == uuid.Nil {
		return apperr.Unauthenticated("sign in first")
	}
	return nil
}

// CreateIssue opens an issue in project, numbered with the project's next
// number (allocated in the same transaction, so numbers have no gaps
// unless a creation fails).
func (s *Service) CreateIssue(ctx context.Context, author access.Principal, project uuid.UUID, title, body string, labels, assignees []string) (Issue, error) {
	if err := s.requireWritable(ctx, project); err != nil {
		return Issue{}, err
	}
	if err := signedIn(author); err != nil {
		return Issue{}, err
	}
	title, err := validateTitle(title)
	if err != nil {
		return Issue{}, err
	}
	if err := validateBody(body, false); err != nil {
		return Issue{}, err
	}
	if assignees, err = s.participants(ctx, project, "assignee", assignees); err != nil {
		return Issue{}, err
	}
	mentioned, err := s.mentionedUsers(ctx, body)
	if err != nil {
		return Issue{}, err
	}
	var out Issue
	err = s.db.InTx(ctx, func(tx pgx.Tx) error {
		q := s.q.WithTx(tx)
		n, err := q.NextIssueNumber(ctx, project)
		if err != nil {
			return err
		}
		row, err := q.CreateIssue(ctx, db.CreateIssueParams{
			ProjectID: project, Number: n, Title: title, Body: body, AuthorID: author.UserID, AuthorName: author.Username,
		})
		if err != nil {
			return err
		}
		if err := s.setLabels(ctx, q, project, row.ID, labels); err != nil {
			return err
		}
		if err := setAssignees(ctx, q, row.ID, assignees); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, audit.Event{
			Action: "issue.create", Resource: "issue/" + row.ID.String(), ProjectID: project,
			Detail: map[string]any{"number": n},
		}); err != nil {
			return err
		}
		if err := s.publish(ctx, tx, Event{
			Kind: EventIssueCreated, ProjectID: project, Subject: IssueSubject(n),
			Detail: map[string]any{"title": title, "assignees": assignees},
		}); err != nil {
			return err
		}
		if err := s.publishMentions(ctx, tx, project, IssueSubject(n), mentioned, map[string]any{"title": title}); err != nil {
			return err
		}
		out, err = s.loadIssue(ctx, q, issueFromRow(db.ListIssuesRow(row)))
		return err
	})
	if err != nil {
		return Issue{}, err
	}
	return out, nil
}

// GetIssue returns issue number of project, with the issues and merge
// requests its body mentions resolved.
func (s *Service) GetIssue(ctx context.Context, project uuid.UUID, number int64) (Issue, error) {
	row, err := s.q.GetIssue(ctx, db.GetIssueParams{ProjectID: project, Number: number})
	if err != nil {
		return Issue{}, apperr.IfNotFound(err, "issue not found")
	}
	is, err := s.loadIssue(ctx, s.q, issueFromRow(db.ListIssuesRow(row)))
	if err != nil {
		return Issue{}, err
	}
	if is.MergeRequestReferences, err = s.mergeRequestReferences(ctx, project, is.Body); err != nil {
		return Issue{}, err
	}
	numbers := Mentions(is.Body)
	if len(numbers) == 0 {
		return is, nil
	}
	refs, err := s.q.IssuesByNumber(ctx, db.IssuesByNumberParams{ProjectID: project, Numbers: numbers})
	if err != nil {
		return Issue{}, err
	}
	for _, r := range refs {
		is.References = append(is.References, IssueReference{Number: r.Number, Title: r.Title, State: r.State})
	}
	return is, nil
}

// Mentions returns the distinct issue numbers a markdown text mentions as
// "#<number>", in order of first mention, at most maxReferences.
func Mentions(text string) []int64 { return mentionsOf(issueMention, text) }

// mentionsOf returns the distinct numbers re's first group captures in
// text, in order of first mention, at most maxReferences.
func mentionsOf(re *regexp.Regexp, text string) []int64 {
	var out []int64
	seen := map[int64]bool{}
	for _, m := range re.FindAllStringSubmatch(text, -1) {
		n, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil || n <= 0 || seen[n] {
			continue
		}
		seen[n] = true
		if out = append(out, n); len(out) == maxReferences {
			break
		}
	}
	return out
}

// ListIssues lists a project's issues, newest number first.
func (s *Service) ListIssues(ctx context.Context, project uuid.UUID, f IssueFilter) ([]Issue, error) {
	if f.Limit <= 0 || f.Limit > 100 {
		f.Limit = 30
	}
	if f.Before <= 0 {
		f.Before = 1 << 62
	}
	p := db.ListIssuesParams{ProjectID: project, Before: f.Before, Max: int32(f.Limit)} //nolint:gosec // G115: 1-100
	if f.State != "" {
		p.State = &f.State
	}
	if f.Label != "" {
		p.Label = &f.Label
	}
	if f.Assignee != "" {
		p.Assignee = &f.Assignee
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		if len(q) > 500 {
			return nil, apperr.Invalid("query: at most 500 bytes")
		}
		p.Query = &q
	}
	rows, err := s.q.ListIssues(ctx, p)
	if err != nil {
		return nil, err
	}
	out := make([]Issue, len(rows))
	for i, r := range rows {
		out[i] = issueFromRow(r)
	}
	return s.decorate(ctx, s.q, out)
}

// UpdateIssue applies change to issue number of project. Callers authorize
// first: the API's rule asks project:write unless the caller wrote the
// issue and changes only its title, body or state.
func (s *Service) UpdateIssue(ctx context.Context, project uuid.UUID, number int64, change IssueChange) (Issue, error) {
	if err := s.requireWritable(ctx, project); err != nil {
		return Issue{}, err
	}
	if change.Title != nil {
		t, err := validateTitle(*change.Title)
		if err != nil {
			return Issue{}, err
		}
		change.Title = &t
	}
	if change.Body != nil {
		if err := validateBody(*change.Body, false); err != nil {
			return Issue{}, err
		}
	}
	if change.State != nil && *change.State != IssueOpen && *change.State != IssueClosed {
		return Issue{}, apperr.Invalid("state: open or closed")
	}
	var out Issue
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		q := s.q.WithTx(tx)
		row, err := q.GetIssueForUpdate(ctx, db.GetIssueForUpdateParams{ProjectID: project, Number: number})
		if err != nil {
			return apperr.IfNotFound(err, "issue not found")
		}
		cur := issueFromRow(db.ListIssuesRow(row))
		p := db.UpdateIssueParams{ID: cur.ID, Title: cur.Title, Body: cur.Body, State: cur.State}
		detail := map[string]any{"number": number}
		if change.Title != nil {
			p.Title, detail["title"] = *change.Title, true
		}
		if change.Body != nil {
			p.Body, detail["body"] = *change.Body, true
		}
		if change.State != nil {
			p.State, detail["state"] = *change.State, *change.State
		}
		if _, err := q.UpdateIssue(ctx, p); err != nil {
			return err
		}
		if change.Labels != nil {
			if err := q.ClearIssueLabels(ctx, cur.ID); err != nil {
				return err
			}
			if err := s.setLabels(ctx, q, project, cur.ID, *change.Labels); err != nil {
				return err
			}
			detail["labels"] = *change.Labels
		}
		if change.Assignees != nil {
			// Checked only now that the caller may change them, so the
			// answer tells nobody else which usernames exist.
			names, err := s.participants(ctx, project, "assignee", *change.Assignees)
			if err != nil {
				return err
			}
			if err := q.ClearIssueAssignees(ctx, cur.ID); err != nil {
				return err
			}
			if err := setAssignees(ctx, q, cur.ID, names); err != nil {
				return err
			}
			detail["assignees"] = names
		}
		if err := audit.Record(ctx, tx, audit.Event{
			Action: "issue.update", Resource: "issue/" + cur.ID.String(), ProjectID: project, Detail: detail,
		}); err != nil {
			return err
		}
		if change.State != nil && *change.State == IssueClosed && cur.State != IssueClosed {
			if err := s.publish(ctx, tx, Event{Kind: EventIssueClosed, ProjectID: project, Subject: IssueSubject(number)}); err != nil {
				return err
			}
		}
		fresh, err := q.GetIssue(ctx, db.GetIssueParams{ProjectID: project, Number: number})
		if err != nil {
			return err
		}
		out, err = s.loadIssue(ctx, q, issueFromRow(db.ListIssuesRow(fresh)))
		return err
	})
	if err != nil {
		return Issue{}, err
	}
	return out, nil
}

func (s *Service) setLabels(ctx context.Context, q *db.Queries, project, issue uuid.UUID, names []string) error {
	if len(names) == 0 {
		return nil
	}
	if len(names) > maxLabels {
		return apperr.Invalid("at most %d labels", maxLabels)
	}
	lower := make([]string, 0, len(names))
	seen := map[string]bool{}
	for _, n := range names {
		l := strings.ToLower(n)
		if !seen[l] {
			seen[l] = true
			lower = append(lower, l)
		}
	}
	found, err := q.LabelsByName(ctx, db.LabelsByNameParams{ProjectID: project, Names: lower})
	if err != nil {
		return err
	}
	if len(found) != len(lower) {
		return apperr.Invalid("unknown label: create labels before using them")
	}
	for _, l := range found {
		if err := q.AddIssueLabel(ctx, db.AddIssueLabelParams{IssueID: issue, LabelID: l.ID}); err != nil {
			return err
		}
	}
	return nil
}

func setAssignees(ctx context.Context, q *db.Queries, issue uuid.UUID, names []string) error {
	if len(names) > maxAssignees {
		return apperr.Invalid("at most %d assignees", maxAssignees)
	}
	for _, n := range names {
		if !validUsername.MatchString(n) {
			return apperr.Invalid("assignee %q is not a username", truncate(n))
		}
		if err := q.AddIssueAssignee(ctx, db.AddIssueAssigneeParams{IssueID: issue, UserName: n}); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) loadIssue(ctx context.Context, q *db.Queries, i Issue) (Issue, error) {
	out, err := s.decorate(ctx, q, []Issue{i})
	if err != nil {
		return Issue{}, err
	}
	return out[0], nil
}

// decorate fills labels and assignees of issues in two queries.
func (s *Service) decorate(ctx context.Context, q *db.Queries, issues []Issue) ([]Issue, error) {
	if len(issues) == 0 {
		return issues, nil
	}
	ids := make([]uuid.UUID, len(issues))
	at := make(map[uuid.UUID]int, len(issues))
	for i, is := range issues {
		ids[i], at[is.ID] = is.ID, i
	}
	labels, err := q.IssueLabels(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, l := range labels {
		issues[at[l.IssueID]].Labels = append(issues[at[l.IssueID]].Labels, l.Name)
	}
	assignees, err := q.IssueAssignees(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, a := range assignees {
		issues[at[a.IssueID]].Assignees = append(issues[at[a.IssueID]].Assignees, a.UserName)
	}
	return issues, nil
}

// CreateLabel adds a label to project's set.
func (s *Service) CreateLabel(ctx context.Context, project uuid.UUID, name, color, description string) (Label, error) {
	if err := s.requireWritable(ctx, project); err != nil {
		return Label{}, err
	}
	if !ValidLabelName(name) {
		return Label{}, apperr.Invalid("label name: 1-50 characters, no commas or control characters")
	}
	if !validColor.MatchString(color) {
		return Label{}, apperr.Invalid("color: #rrggbb")
	}
	if utf8.RuneCountInString(description) > 200 || !utf8.ValidString(description) {
		return Label{}, apperr.Invalid("description: at most 200 characters")
	}
	var out Label
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		row, err := s.q.WithTx(tx).CreateLabel(ctx, db.CreateLabelParams{
			ProjectID: project, Name: name, Color: strings.ToLower(color), Description: description,
		})
		if err != nil {
			if errors.Is(err, store.ErrConflict) {
				return apperr.Conflict("label %q exists", name)
			}
			return err
		}
		out = Label{Name: row.Name, Color: row.Color, Description: row.Description}
		return audit.Record(ctx, tx, audit.Event{
			Action: "label.create", Resource: "label/" + row.ID.String(), ProjectID: project,
			Detail: map[string]any{"name": name, "color": row.Color},
		})
	})
	return out, err
}

// ListLabels lists project's labels by name.
func (s *Service) ListLabels(ctx context.Context, project uuid.UUID) ([]Label, error) {
	rows, err := s.q.ListLabels(ctx, project)
	if err != nil {
		return nil, err
	}
	out := make([]Label, len(rows))
	for i, r := range rows {
		out[i] = Label{Name: r.Name, Color: r.Color, Description: r.Description}
	}
	return out, nil
}

// CreateComment comments on issue number of project.
func (s *Service) CreateComment(ctx context.Context, author access.Principal, project uuid.UUID, number int64, body string) (Comment, error) {
	if err := s.requireWritable(ctx, project); err != nil {
		return Comment{}, err
	}
	if err := signedIn(author); err != nil {
		return Comment{}, err
	}
	if err := validateBody(body, true); err != nil {
		return Comment{}, err
	}
	mentioned, err := s.mentionedUsers(ctx, body)
	if err != nil {
		return Comment{}, err
	}
	var out Comment
	err = s.db.InTx(ctx, func(tx pgx.Tx) error {
		q := s.q.WithTx(tx)
		is, err := q.GetIssue(ctx, db.GetIssueParams{ProjectID: project, Number: number})
		if err != nil {
			return apperr.IfNotFound(err, "issue not found")
		}
		id, err := uuid.NewV7()
		if err != nil {
			return err
		}
		row, err := q.CreateComment(ctx, db.CreateCommentParams{
			ID: id, IssueID: is.ID, AuthorID: author.UserID, AuthorName: author.Username, Body: body,
		})
		if err != nil {
			return err
		}
		out = commentFromRow(row)
		if err := s.publish(ctx, tx, Event{
			Kind: EventIssueCommented, ProjectID: project, Subject: IssueSubject(number),
			Detail: map[string]any{"comment_id": id.String()},
		}); err != nil {
			return err
		}
		if err := s.publishMentions(ctx, tx, project, IssueSubject(number), mentioned, map[string]any{"comment_id": id.String()}); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{
			Action: "issue.comment", Resource: "comment/" + id.String(), ProjectID: project,
			Detail: map[string]any{"number": number},
		})
	})
	return out, err
}

// ListComments lists comments of issue number, oldest first, after the
// comment id after (uuid.Nil: from the first).
func (s *Service) ListComments(ctx context.Context, project uuid.UUID, number int64, after uuid.UUID, limit int) ([]Comment, error) {
	if limit <= 0 || limit > 100 {
		limit = 50
	}
	is, err := s.q.GetIssue(ctx, db.GetIssueParams{ProjectID: project, Number: number})
	if err != nil {
		return nil, apperr.IfNotFound(err, "issue not found")
	}
	rows, err := s.q.ListComments(ctx, db.ListCommentsParams{IssueID: is.ID, After: after, Max: int32(limit)})
	if err != nil {
		return nil, err
	}
	out := make([]Comment, len(rows))
	for i, r := range rows {
		out[i] = commentFromRow(r)
	}
	return out, nil
}

// UpdateComment replaces the body of a comment; only its author may.
func (s *Service) UpdateComment(ctx context.Context, caller access.Principal, project uuid.UUID, number int64, id uuid.UUID, body string) (Comment, error) {
	if err := s.requireWritable(ctx, project); err != nil {
		return Comment{}, err
	}
	if err := validateBody(body, true); err != nil {
		return Comment{}, err
	}
	var out Comment
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		q := s.q.WithTx(tx)
		c, err := s.commentForUpdate(ctx, q, project, number, id)
		if err != nil {
			return err
		}
		if c.AuthorID != caller.UserID || caller.UserID == uuid.Nil {
			return apperr.PermissionDenied("only its author may edit a comment")
		}
		row, err := q.UpdateComment(ctx, db.UpdateCommentParams{ID: id, Body: body})
		if err != nil {
			return err
		}
		out = commentFromRow(row)
		return audit.Record(ctx, tx, audit.Event{
			Action: "issue.comment.update", Resource: "comment/" + id.String(), ProjectID: project,
			Detail: map[string]any{"number": number},
		})
	})
	return out, err
}

// DeleteComment deletes a comment. Callers authorize first: the API's rule
// asks project:admin for someone else's.
func (s *Service) DeleteComment(ctx context.Context, project uuid.UUID, number int64, id uuid.UUID) error {
	if err := s.requireWritable(ctx, project); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx pgx.Tx) error {
		q := s.q.WithTx(tx)
		c, err := s.commentForUpdate(ctx, q, project, number, id)
		if err != nil {
			return err
		}
		if err := q.DeleteComment(ctx, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{
			Action: "issue.comment.delete", Resource: "comment/" + id.String(), ProjectID: project,
			Detail: map[string]any{"number": number, "author": c.Author},
		})
	})
}

func (s *Service) commentForUpdate(ctx context.Context, q *db.Queries, project uuid.UUID, number int64, id uuid.UUID) (Comment, error) {
	is, err := q.GetIssue(ctx, db.GetIssueParams{ProjectID: project, Number: number})
	if err != nil {
		return Comment{}, apperr.IfNotFound(err, "issue not found")
	}
	row, err := q.GetCommentForUpdate(ctx, db.GetCommentForUpdateParams{ID: id, IssueID: is.ID})
	if err != nil {
		return Comment{}, apperr.IfNotFound(err, "comment not found")
	}
	return commentFromRow(row), nil
}

func issueFromRow(r db.ListIssuesRow) Issue {
	out := Issue{
		ID: r.ID, ProjectID: r.ProjectID, Number: r.Number, Title: r.Title, Body: r.Body, State: r.State,
		AuthorID: r.AuthorID, Author: r.AuthorName, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		ClosedAt: r.ClosedAt,
	}
	return out
}

func commentFromRow(r db.IssueComment) Comment {
	return Comment{
		ID: r.ID, IssueID: r.IssueID, AuthorID: r.AuthorID, Author: r.AuthorName, Body: r.Body,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
}
