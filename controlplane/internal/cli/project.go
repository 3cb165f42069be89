package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

func visibilityName(v hearthv1.Visibility) string {
	return strings.ToLower(strings.TrimPrefix(v.String(), "VISIBILITY_"))
}

func parseVisibility(s string) (hearthv1.Visibility, error) {
	switch s {
	case "private":
		return hearthv1.Visibility_VISIBILITY_PRIVATE, nil
	case "internal":
		return hearthv1.Visibility_VISIBILITY_INTERNAL, nil
	case "public":
		return hearthv1.Visibility_VISIBILITY_PUBLIC, nil
	}
	return 0, fmt.Errorf("--visibility %q: want private, internal or public", s)
}

// printProject prints one project as "key: value" lines.
func printProject(std stdio, p *hearthv1.Project) {
	fmt.Fprintf(std.out, "project:        %s/%s\n", p.GetOwner(), p.GetName())
	fmt.Fprintf(std.out, "id:             %s\n", p.GetId())
	fmt.Fprintf(std.out, "visibility:     %s\n", visibilityName(p.GetVisibility()))
	fmt.Fprintf(std.out, "default branch: %s\n", p.GetDefaultBranch())
	if p.GetDescription() != "" {
		fmt.Fprintf(std.out, "description:    %s\n", p.GetDescription())
	}
	if p.GetHttpUrl() != "" {
		fmt.Fprintf(std.out, "clone:          %s\n", p.GetHttpUrl())
	}
	fmt.Fprintf(std.out, "created:        %s\n", when(p.GetCreateTime()))
}

func projectCommands() map[string]subcommand {
	return map[string]subcommand{
		"create": {"create a project: NAME [--namespace GROUP] [--description D] [--visibility private|internal|public] [--default-branch main]", projectCreate},
		"list":   {"list the projects you may see: [--search TEXT] [--limit 50]", projectList},
		"get":    {"show a project: OWNER/NAME", projectGet},
	}
}

// projectClient is the ProjectServiceClient of s.
func projectClient(s *session) hearthv1connect.ProjectServiceClient {
	return hearthv1connect.NewProjectServiceClient(s.http, s.server, s.options()...)
}

// projectCreate is `hearth project create`.
func projectCreate(ctx context.Context, fs *flag.FlagSet, args []string, std stdio) int {
	namespace := fs.String("namespace", "", "a group to create it in (default: your own namespace)")
	description := fs.String("description", "", "one paragraph about the project")
	visibility := fs.String("visibility", "private", "private, internal or public")
	branch := fs.String("default-branch", "main", "the default branch")
	name, code, done := parseWithID(fs, args, std, "hearth project create NAME [--visibility private|internal|public]")
	if done {
		return code
	}
	vis, err := parseVisibility(*visibility)
	if err != nil {
		return fail(std.err, ExitUsage, err)
	}
	s, code := connectSession(std)
	if s == nil {
		return code
	}
	res, err := projectClient(s).CreateProject(ctx, &hearthv1.CreateProjectRequest{
		Name: name, Description: *description, Visibility: vis, DefaultBranch: *branch, Namespace: *namespace,
	})
	if err != nil {
		return fail(std.err, ExitFailure, errors.New(describe(err)))
	}
	printProject(std, res.GetProject())
	return ExitOK
}

// projectList is `hearth project list`.
func projectList(ctx context.Context, fs *flag.FlagSet, args []string, std stdio) int {
	search := fs.String("search", "", "a substring of owner/name or of the description")
	limit := fs.Int("limit", 50, "how many (1-100)")
	if code, done := parseFlags(fs, args, std, "hearth project list [--search TEXT] [--limit 50]"); done {
		return code
	}
	if *limit < 1 || *limit > 100 {
		return fail(std.err, ExitUsage, fmt.Errorf("--limit %d: want 1-100", *limit))
	}
	s, code := connectSession(std)
	if s == nil {
		return code
	}
	res, err := projectClient(s).ListProjects(ctx, &hearthv1.ListProjectsRequest{Search: *search, PageSize: int32(*limit)})
	if err != nil {
		return fail(std.err, ExitFailure, errors.New(describe(err)))
	}
	var rows [][]string
	for _, p := range res.GetProjects() {
		rows = append(rows, []string{p.GetOwner() + "/" + p.GetName(), visibilityName(p.GetVisibility()),
			p.GetDefaultBranch(), p.GetDescription()})
	}
	table(std.out, "PROJECT\tVISIBILITY\tDEFAULT BRANCH\tDESCRIPTION", rows)
	return ExitOK
}

// projectGet is `hearth project get`.
func projectGet(ctx context.Context, fs *flag.FlagSet, args []string, std stdio) int {
	path, code, done := parseWithID(fs, args, std, "hearth project get OWNER/NAME")
	if done {
		return code
	}
	owner, name, err := splitProject(path)
	if err != nil {
		return fail(std.err, ExitUsage, err)
	}
	s, code := connectSession(std)
	if s == nil {
		return code
	}
	res, err := projectClient(s).GetProject(ctx, &hearthv1.GetProjectRequest{Owner: owner, Name: name})
	if err != nil {
		return fail(std.err, ExitFailure, errors.New(describe(err)))
	}
	printProject(std, res.GetProject())
	return ExitOK
}
