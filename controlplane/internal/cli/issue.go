package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"

	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// listFlags collects repeated string flags.
type listFlags []string

func (l *listFlags) String() string { return strings.Join(*l, ",") }

func (l *listFlags) Set(s string) error {
	*l = append(*l, s)
	return nil
}

func issueStateName(s hearthv1.IssueState) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "ISSUE_STATE_"))
}

// issueNumber parses the NUMBER argument ("12" or "#12").
func issueNumber(arg string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimPrefix(arg, "#"), 10, 64)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%q: want an issue number", arg)
	}
	return n, nil
}

func issueCommands() map[string]subcommand {
	return map[string]subcommand{
		"create":  {"open an issue: --project owner/name --title T [--body B] [--label L ...] [--assignee U ...]", issueCreate},
		"list":    {"list issues: --project owner/name [--state open|closed|all] [--search TEXT] [--label L] [--limit 30]", issueList},
		"close":   {"close an issue: --project owner/name NUMBER", issueClose},
		"comment": {"comment on an issue: --project owner/name --body B NUMBER", issueComment},
	}
}

// issueClient is the IssueServiceClient of s.
func issueClient(s *session) hearthv1connect.IssueServiceClient {
	return hearthv1connect.NewIssueServiceClient(s.http, s.server, s.options()...)
}

// issueCreate is `hearth issue create`.
func issueCreate(ctx context.Context, fs *flag.FlagSet, args []string, std stdio) int {
	project := fs.String("project", "", "owner/name")
	title := fs.String("title", "", "the issue's title")
	body := fs.String("body", "", "markdown text")
	var labels, assignees listFlags
	fs.Var(&labels, "label", "a label name (repeatable)")
	fs.Var(&assignees, "assignee", "a username (repeatable)")
	if code, done := parseFlags(fs, args, std, "hearth issue create --project owner/name --title T [--body B]"); done {
		return code
	}
	owner, name, err := splitProject(*project)
	if err != nil {
		return fail(std.err, ExitUsage, err)
	}
	s, code := connectSession(std)
	if s == nil {
		return code
	}
	res, err := issueClient(s).CreateIssue(ctx, &hearthv1.CreateIssueRequest{
		Owner: owner, Name: name, Title: *title, Body: *body, Labels: labels, Assignees: assignees,
	})
	if err != nil {
		return fail(std.err, ExitFailure, errors.New(describe(err)))
	}
	fmt.Fprintf(std.out, "#%d %s\n", res.GetIssue().GetNumber(), res.GetIssue().GetTitle())
	return ExitOK
}

// issueList is `hearth issue list`.
func issueList(ctx context.Context, fs *flag.FlagSet, args []string, std stdio) int {
	project := fs.String("project", "", "owner/name")
	stateFlag := fs.String("state", "open", "open, closed or all")
	search := fs.String("search", "", "full-text search in titles and bodies")
	label := fs.String("label", "", "only issues with this label")
	limit := fs.Int("limit", 30, "how many (1-100)")
	if code, done := parseFlags(fs, args, std, "hearth issue list --project owner/name [--state open|closed|all]"); done {
		return code
	}
	owner, name, err := splitProject(*project)
	if err != nil {
		return fail(std.err, ExitUsage, err)
	}
	req := &hearthv1.ListIssuesRequest{Owner: owner, Name: name, Query: *search, Label: *label, PageSize: int32(*limit)} //nolint:gosec // G115: validated by the server.
	switch *stateFlag {
	case "open":
		req.State = hearthv1.IssueState_ISSUE_STATE_OPEN
	case "closed":
		req.State = hearthv1.IssueState_ISSUE_STATE_CLOSED
	case "all":
		req.All = true
	default:
		return fail(std.err, ExitUsage, fmt.Errorf("--state %q: want open, closed or all", *stateFlag))
	}
	s, code := connectSession(std)
	if s == nil {
		return code
	}
	res, err := issueClient(s).ListIssues(ctx, req)
	if err != nil {
		return fail(std.err, ExitFailure, errors.New(describe(err)))
	}
	var rows [][]string
	for _, i := range res.GetIssues() {
		rows = append(rows, []string{"#" + strconv.FormatInt(i.GetNumber(), 10), issueStateName(i.GetState()), i.GetTitle(),
			strings.Join(i.GetLabels(), ","), i.GetAuthor(), when(i.GetCreateTime())})
	}
	table(std.out, "NUMBER\tSTATE\tTITLE\tLABELS\tAUTHOR\tCREATED", rows)
	return ExitOK
}

// issueClose is `hearth issue close`.
func issueClose(ctx context.Context, fs *flag.FlagSet, args []string, std stdio) int {
	project := fs.String("project", "", "owner/name")
	arg, code, done := parseWithID(fs, args, std, "hearth issue close --project owner/name NUMBER")
	if done {
		return code
	}
	number, err := issueNumber(arg)
	if err != nil {
		return fail(std.err, ExitUsage, err)
	}
	owner, name, err := splitProject(*project)
	if err != nil {
		return fail(std.err, ExitUsage, err)
	}
	s, code := connectSession(std)
	if s == nil {
		return code
	}
	res, err := issueClient(s).UpdateIssue(ctx, &hearthv1.UpdateIssueRequest{Owner: owner, Name: name, Number: number, State: hearthv1.IssueState_ISSUE_STATE_CLOSED})
	if err != nil {
		return fail(std.err, ExitFailure, errors.New(describe(err)))
	}
	fmt.Fprintf(std.out, "#%d %s\n", res.GetIssue().GetNumber(), issueStateName(res.GetIssue().GetState()))
	return ExitOK
}

// issueComment is `hearth issue comment`.
func issueComment(ctx context.Context, fs *flag.FlagSet, args []string, std stdio) int {
	project := fs.String("project", "", "owner/name")
	body := fs.String("body", "", "markdown text")
	arg, code, done := parseWithID(fs, args, std, "hearth issue comment --project owner/name --body B NUMBER")
	if done {
		return code
	}
	number, err := issueNumber(arg)
	if err != nil {
		return fail(std.err, ExitUsage, err)
	}
	owner, name, err := splitProject(*project)
	if err != nil {
		return fail(std.err, ExitUsage, err)
	}
	s, code := connectSession(std)
	if s == nil {
		return code
	}
	res, err := issueClient(s).CreateComment(ctx, &hearthv1.CreateCommentRequest{Owner: owner, Name: name, Number: number, Body: *body})
	if err != nil {
		return fail(std.err, ExitFailure, errors.New(describe(err)))
	}
	fmt.Fprintln(std.out, res.GetComment().GetId())
	return ExitOK
}
