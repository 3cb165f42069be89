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

func mergeRequestStateName(s hearthv1.MergeRequestState) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "MERGE_REQUEST_STATE_"))
}

// mergeRequestNumber parses the NUMBER argument ("3" or "!3").
func mergeRequestNumber(arg string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimPrefix(arg, "!"), 10, 64)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%q: want a merge request number", arg)
	}
	return n, nil
}

// mergeability is a short word for the list.
func mergeability(mr *hearthv1.MergeRequest) string {
	switch mr.GetMergeStatus().GetMergeability() {
	case hearthv1.Mergeability_MERGEABILITY_MERGEABLE:
		return "mergeable"
	case hearthv1.Mergeability_MERGEABILITY_CONFLICTS:
		return "conflicts"
	default:
		return "unchecked"
	}
}

var mergeMethodFlags = map[string]hearthv1.MergeMethod{
	"merge":  hearthv1.MergeMethod_MERGE_METHOD_MERGE,
	"squash": hearthv1.MergeMethod_MERGE_METHOD_SQUASH,
	"ff":     hearthv1.MergeMethod_MERGE_METHOD_FAST_FORWARD,
}

func mergeRequestCommands() map[string]subcommand {
	return map[string]subcommand{
		"create": {"open a merge request: --project owner/name --source BRANCH --target BRANCH --title T [--description D] [--draft]", mergeRequestCreate},
		"list":   {"list merge requests: --project owner/name [--state open|merged|closed|all] [--limit 30]", mergeRequestList},
		"merge":  {"merge a merge request: --project owner/name [--method merge|squash|ff] [--message M] [--delete-source-branch] NUMBER", mergeRequestMerge},
	}
}

// mergeRequestClient is the MergeRequestServiceClient of s.
func mergeRequestClient(s *session) hearthv1connect.MergeRequestServiceClient {
	return hearthv1connect.NewMergeRequestServiceClient(s.http, s.server, s.options()...)
}

// mergeRequestCreate is `hearth mr create`.
func mergeRequestCreate(ctx context.Context, fs *flag.FlagSet, args []string, std stdio) int {
	project := fs.String("project", "", "owner/name")
	source := fs.String("source", "", "the branch with the changes")
	target := fs.String("target", "", "the branch to merge into")
	title := fs.String("title", "", "the merge request's title")
	description := fs.String("description", "", "markdown text")
	draft := fs.Bool("draft", false, "open it as a draft (cannot be merged until marked ready)")
	if code, done := parseFlags(fs, args, std, "hearth mr create --project owner/name --source BRANCH --target BRANCH --title T"); done {
		return code
	}
	owner, name, err := splitProject(*project)
	if err != nil {
		return fail(std.err, ExitUsage, err)
	}
	if *source == "" || *target == "" {
		return fail(std.err, ExitUsage, errors.New("--source and --target are required"))
	}
	s, code := connectSession(std)
	if s == nil {
		return code
	}
	res, err := mergeRequestClient(s).CreateMergeRequest(ctx, &hearthv1.CreateMergeRequestRequest{
		Owner: owner, Name: name, SourceBranch: *source, TargetBranch: *target, Title: *title, Description: *description, Draft: *draft,
	})
	if err != nil {
		return fail(std.err, ExitFailure, errors.New(describe(err)))
	}
	mr := res.GetMergeRequest()
	fmt.Fprintf(std.out, "!%d %s (%s → %s, %s)\n", mr.GetNumber(), mr.GetTitle(), mr.GetSourceBranch(), mr.GetTargetBranch(), mergeability(mr))
	return ExitOK
}

// mergeRequestList is `hearth mr list`.
func mergeRequestList(ctx context.Context, fs *flag.FlagSet, args []string, std stdio) int {
	project := fs.String("project", "", "owner/name")
	stateFlag := fs.String("state", "open", "open, merged, closed or all")
	limit := fs.Int("limit", 30, "how many (1-100)")
	if code, done := parseFlags(fs, args, std, "hearth mr list --project owner/name [--state open|merged|closed|all]"); done {
		return code
	}
	owner, name, err := splitProject(*project)
	if err != nil {
		return fail(std.err, ExitUsage, err)
	}
	req := &hearthv1.ListMergeRequestsRequest{Owner: owner, Name: name, PageSize: int32(*limit)} //nolint:gosec // G115: validated by the server.
	switch *stateFlag {
	case "open":
		req.State = hearthv1.MergeRequestState_MERGE_REQUEST_STATE_OPEN
	case "merged":
		req.State = hearthv1.MergeRequestState_MERGE_REQUEST_STATE_MERGED
	case "closed":
		req.State = hearthv1.MergeRequestState_MERGE_REQUEST_STATE_CLOSED
	case "all":
		req.All = true
	default:
		return fail(std.err, ExitUsage, fmt.Errorf("--state %q: want open, merged, closed or all", *stateFlag))
	}
	s, code := connectSession(std)
	if s == nil {
		return code
	}
	res, err := mergeRequestClient(s).ListMergeRequests(ctx, req)
	if err != nil {
		return fail(std.err, ExitFailure, errors.New(describe(err)))
	}
	var rows [][]string
	for _, mr := range res.GetMergeRequests() {
		title := mr.GetTitle()
		if mr.GetDraft() {
			title = "Draft: " + title
		}
		rows = append(rows, []string{"!" + strconv.FormatInt(mr.GetNumber(), 10), mergeRequestStateName(mr.GetState()), title,
			mr.GetSourceBranch() + " → " + mr.GetTargetBranch(), mergeability(mr), mr.GetAuthor(), when(mr.GetCreateTime())})
	}
	table(std.out, "NUMBER\tSTATE\tTITLE\tBRANCHES\tMERGE\tAUTHOR\tCREATED", rows)
	return ExitOK
}

// mergeRequestMerge is `hearth mr merge`.
func mergeRequestMerge(ctx context.Context, fs *flag.FlagSet, args []string, std stdio) int {
	project := fs.String("project", "", "owner/name")
	methodFlag := fs.String("method", "merge", "merge (a merge commit), squash or ff (fast-forward)")
	message := fs.String("message", "", "the merge or squash commit's message (default: from the title)")
	deleteSource := fs.Bool("delete-source-branch", false, "delete the source branch once merged")
	arg, code, done := parseWithID(fs, args, std, "hearth mr merge --project owner/name [--method merge|squash|ff] NUMBER")
	if done {
		return code
	}
	number, err := mergeRequestNumber(arg)
	if err != nil {
		return fail(std.err, ExitUsage, err)
	}
	method, ok := mergeMethodFlags[*methodFlag]
	if !ok {
		return fail(std.err, ExitUsage, fmt.Errorf("--method %q: want merge, squash or ff", *methodFlag))
	}
	owner, name, err := splitProject(*project)
	if err != nil {
		return fail(std.err, ExitUsage, err)
	}
	s, code := connectSession(std)
	if s == nil {
		return code
	}
	res, err := mergeRequestClient(s).MergeMergeRequest(ctx, &hearthv1.MergeMergeRequestRequest{
		Owner: owner, Name: name, Number: number, Method: method, CommitMessage: *message, DeleteSourceBranch: *deleteSource,
	})
	if err != nil {
		return fail(std.err, ExitFailure, errors.New(describe(err)))
	}
	mr := res.GetMergeRequest()
	fmt.Fprintf(std.out, "!%d merged into %s as %s\n", mr.GetNumber(), mr.GetTargetBranch(), mr.GetMergeCommitSha())
	if res.GetSourceBranchDeleted() {
		fmt.Fprintf(std.out, "deleted branch %s\n", mr.GetSourceBranch())
	}
	return ExitOK
}
