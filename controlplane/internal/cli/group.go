package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"

	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

func groupCommands() map[string]subcommand {
	return map[string]subcommand{
		"create":     {"create a group (you become its maintainer): NAME [--description D] [--visibility private|internal|public]", groupCreate},
		"list":       {"list the groups you may see", groupList},
		"add-member": {"give a user a role in a group: GROUP --user U --role maintainer|developer|viewer", groupAddMember},
		"members":    {"list a group's members: GROUP", groupMembers},
	}
}

// groupClient is the GroupServiceClient of s.
func groupClient(s *session) hearthv1connect.GroupServiceClient {
	return hearthv1connect.NewGroupServiceClient(s.http, s.server, s.options()...)
}

// groupCreate is `hearth group create`.
func groupCreate(ctx context.Context, fs *flag.FlagSet, args []string, std stdio) int {
	description := fs.String("description", "", "one paragraph about the group")
	visibility := fs.String("visibility", "private", "private, internal or public")
	name, code, done := parseWithID(fs, args, std, "hearth group create NAME [--visibility private|internal|public]")
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
	res, err := groupClient(s).CreateGroup(ctx, &hearthv1.CreateGroupRequest{Name: name, Description: *description, Visibility: vis})
	if err != nil {
		return fail(std.err, ExitFailure, errors.New(describe(err)))
	}
	fmt.Fprintf(std.out, "%s %s\n", res.GetGroup().GetName(), visibilityName(res.GetGroup().GetVisibility()))
	return ExitOK
}

// groupList is `hearth group list`.
func groupList(ctx context.Context, fs *flag.FlagSet, args []string, std stdio) int {
	if code, done := parseFlags(fs, args, std, "hearth group list"); done {
		return code
	}
	s, code := connectSession(std)
	if s == nil {
		return code
	}
	var rows [][]string
	req := &hearthv1.ListGroupsRequest{PageSize: 100}
	for {
		res, err := groupClient(s).ListGroups(ctx, req)
		if err != nil {
			return fail(std.err, ExitFailure, errors.New(describe(err)))
		}
		for _, g := range res.GetGroups() {
			rows = append(rows, []string{g.GetName(), visibilityName(g.GetVisibility()), g.GetDescription()})
		}
		if res.GetNextPageToken() == "" {
			break
		}
		req.PageToken = res.GetNextPageToken()
	}
	table(std.out, "GROUP\tVISIBILITY\tDESCRIPTION", rows)
	return ExitOK
}

// groupAddMember is `hearth group add-member`.
func groupAddMember(ctx context.Context, fs *flag.FlagSet, args []string, std stdio) int {
	user := fs.String("user", "", "the username")
	role := fs.String("role", "developer", "a role name")
	name, code, done := parseWithID(fs, args, std, "hearth group add-member GROUP --user U --role ROLE")
	if done {
		return code
	}
	if *user == "" {
		return fail(std.err, ExitUsage, errors.New("--user is required"))
	}
	s, code := connectSession(std)
	if s == nil {
		return code
	}
	res, err := groupClient(s).AddGroupMember(ctx, &hearthv1.AddGroupMemberRequest{Name: name, Username: *user, Role: *role})
	if err != nil {
		return fail(std.err, ExitFailure, errors.New(describe(err)))
	}
	fmt.Fprintf(std.out, "%s is %s of %s\n", res.GetMember().GetUsername(), res.GetMember().GetRole(), name)
	return ExitOK
}

// groupMembers is `hearth group members`.
func groupMembers(ctx context.Context, fs *flag.FlagSet, args []string, std stdio) int {
	name, code, done := parseWithID(fs, args, std, "hearth group members GROUP")
	if done {
		return code
	}
	s, code := connectSession(std)
	if s == nil {
		return code
	}
	var rows [][]string
	req := &hearthv1.ListGroupMembersRequest{Name: name, PageSize: 100}
	for {
		res, err := groupClient(s).ListGroupMembers(ctx, req)
		if err != nil {
			return fail(std.err, ExitFailure, errors.New(describe(err)))
		}
		for _, m := range res.GetMembers() {
			rows = append(rows, []string{m.GetUsername(), m.GetRole(), when(m.GetCreateTime())})
		}
		if res.GetNextPageToken() == "" {
			break
		}
		req.PageToken = res.GetNextPageToken()
	}
	table(std.out, "USER\tROLE\tSINCE", rows)
	return ExitOK
}
