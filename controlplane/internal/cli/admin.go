package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// subcommand is one `hearth <group> <verb>` action.
type subcommand struct {
	usage string
	run   func(ctx context.Context, fs *flag.FlagSet, args []string, std stdio) int
}

// runGroup dispatches `hearth <group> <verb> [flags]`.
func runGroup(ctx context.Context, group string, verbs map[string]subcommand, args []string, std stdio) int {
	if len(args) == 0 || verbs[args[0]].run == nil {
		fmt.Fprintf(std.err, "Usage: hearth %s <command>\n\nCommands:\n", group)
		for name, v := range verbs {
			fmt.Fprintf(std.err, "  %-10s %s\n", name, v.usage)
		}
		return ExitUsage
	}
	verb := verbs[args[0]]
	fs := flag.NewFlagSet(group+" "+args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	server := fs.String("server", "", "control plane URL (default: from 'hearth login', or HEARTH_SERVER)")
	return verb.run(ctx, fs, args[1:], stdio{in: std.in, out: std.out, err: std.err, server: server})
}

// connectSession builds the session once the verb's flags are parsed.
func connectSession(std stdio) (*session, int) {
	s, err := newSession(*std.server)
	if err != nil {
		return nil, fail(std.err, ExitUsage, err)
	}
	return s, 0
}

func table(w io.Writer, header string, rows [][]string) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	_ = tw.Flush()
}

func when(ts *timestamppb.Timestamp) string {
	if ts == nil {
		return "-"
	}
	return ts.AsTime().Local().Format(time.DateTime)
}

func tokenCommands() map[string]subcommand {
	return map[string]subcommand{
		"create": {"create an API token: --name N --scopes api,repo:read [--project ID] [--expires 720h]", tokenCreate},
		"list":   {"list your API tokens", tokenList},
		"revoke": {"revoke an API token: --id ID", tokenRevoke},
	}
}

func printUsers(w io.Writer, users ...*hearthv1.User) {
	var rows [][]string
	for _, u := range users {
		rows = append(rows, []string{u.GetId(), u.GetUsername(), u.GetEmail(), fmt.Sprint(u.GetAdmin()), fmt.Sprint(u.GetActive())})
	}
	table(w, "ID\tUSERNAME\tEMAIL\tADMIN\tACTIVE", rows)
}

func userCommands() map[string]subcommand {
	return map[string]subcommand{
		"create":     {"create a user (admins): --username U --email E [--admin] --password-stdin", userCreate},
		"list":       {"list users (admins) [--query TEXT]", userList},
		"deactivate": {"deactivate a user (admins): --id ID", userDeactivate},
	}
}

func roleCommands() map[string]subcommand {
	return map[string]subcommand{
		"list":   {"list roles", roleList},
		"create": {"define a custom role (admins): --name N --permissions a,b", roleCreate},
		"bind":   {"grant a role (admins): --role NAME --user ID [--project ID]", roleBind},
		"unbind": {"remove a role binding (admins): --id ID", roleUnbind},
	}
}

// tokenCreate is `hearth token create`.
func tokenCreate(ctx context.Context, fs *flag.FlagSet, args []string, std stdio) int {
	name := fs.String("name", "", "token name")
	scopes := fs.String("scopes", "api", "comma-separated: read-only, repo:read, repo:write, observe:read, observe:write, api, admin")
	project := fs.String("project", "", "restrict the token to this project id")
	expires := fs.Duration("expires", 30*24*time.Hour, "lifetime")
	if code, done := parseFlags(fs, args, std, "hearth token create --name N [--scopes api] [--project ID] [--expires 720h]"); done {
		return code
	}
	s, code := connectSession(std)
	if s == nil {
		return code
	}
	res, err := hearthv1connect.NewTokenServiceClient(s.http, s.server, s.options()...).CreateToken(ctx, &hearthv1.CreateTokenRequest{
		Name: *name, Scopes: strings.Split(*scopes, ","), ProjectId: *project, ExpireTime: timestamppb.New(time.Now().Add(*expires)),
	})
	if err != nil {
		return fail(std.err, ExitFailure, fmt.Errorf("%s", describe(err)))
	}
	fmt.Fprintf(std.err, "Token %s created; it is shown only this once:\n", res.GetInfo().GetId())
	fmt.Fprintln(std.out, res.GetToken())
	return ExitOK
}

// tokenList is `hearth token list`.
func tokenList(ctx context.Context, fs *flag.FlagSet, args []string, std stdio) int {
	if code, done := parseFlags(fs, args, std, "hearth token list"); done {
		return code
	}
	s, code := connectSession(std)
	if s == nil {
		return code
	}
	res, err := hearthv1connect.NewTokenServiceClient(s.http, s.server, s.options()...).ListTokens(ctx, &hearthv1.ListTokensRequest{})
	if err != nil {
		return fail(std.err, ExitFailure, fmt.Errorf("%s", describe(err)))
	}
	var rows [][]string
	for _, t := range res.GetTokens() {
		rows = append(rows, []string{t.GetId(), t.GetName(), strings.Join(t.GetScopes(), ","), when(t.GetExpireTime()), when(t.GetLastUsedTime())})
	}
	table(std.out, "ID\tNAME\tSCOPES\tEXPIRES\tLAST USED", rows)
	return ExitOK
}

// tokenRevoke is `hearth token revoke`.
func tokenRevoke(ctx context.Context, fs *flag.FlagSet, args []string, std stdio) int {
	id := fs.String("id", "", "token id")
	if code, done := parseFlags(fs, args, std, "hearth token revoke --id ID"); done {
		return code
	}
	s, code := connectSession(std)
	if s == nil {
		return code
	}
	if _, err := hearthv1connect.NewTokenServiceClient(s.http, s.server, s.options()...).RevokeToken(ctx, &hearthv1.RevokeTokenRequest{Id: *id}); err != nil {
		return fail(std.err, ExitFailure, fmt.Errorf("%s", describe(err)))
	}
	fmt.Fprintln(std.out, "Revoked.")
	return ExitOK
}

// userCreate is `hearth user create`.
func userCreate(ctx context.Context, fs *flag.FlagSet, args []string, std stdio) int {
	username := fs.String("username", "", "username")
	email := fs.String("email", "", "email address")
	display := fs.String("display-name", "", "display name")
	admin := fs.Bool("admin", false, "make the user an administrator")
	fromStdin := fs.Bool("password-stdin", false, "read the password from standard input")
	if code, done := parseFlags(fs, args, std, "hearth user create --username U --email E [--admin] [--password-stdin]"); done {
		return code
	}
	s, code := connectSession(std)
	if s == nil {
		return code
	}
	password, err := readPassword(newLineReader(std.in), std, *fromStdin)
	if err != nil {
		return fail(std.err, ExitUsage, err)
	}
	res, err := hearthv1connect.NewUserServiceClient(s.http, s.server, s.options()...).CreateUser(ctx, &hearthv1.CreateUserRequest{
		Username: *username, Email: *email, DisplayName: *display, Password: password, Admin: *admin,
	})
	if err != nil {
		return fail(std.err, ExitFailure, fmt.Errorf("%s", describe(err)))
	}
	printUsers(std.out, res.GetUser())
	return ExitOK
}

// userList is `hearth user list`.
func userList(ctx context.Context, fs *flag.FlagSet, args []string, std stdio) int {
	query := fs.String("query", "", "only users matching this text")
	if code, done := parseFlags(fs, args, std, "hearth user list [--query TEXT]"); done {
		return code
	}
	s, code := connectSession(std)
	if s == nil {
		return code
	}
	client := hearthv1connect.NewUserServiceClient(s.http, s.server, s.options()...)
	var all []*hearthv1.User
	token := ""
	for {
		res, err := client.ListUsers(ctx, &hearthv1.ListUsersRequest{Query: *query, PageToken: token, PageSize: 200})
		if err != nil {
			return fail(std.err, ExitFailure, fmt.Errorf("%s", describe(err)))
		}
		all = append(all, res.GetUsers()...)
		if token = res.GetNextPageToken(); token == "" {
			break
		}
	}
	printUsers(std.out, all...)
	return ExitOK
}

// userDeactivate is `hearth user deactivate`.
func userDeactivate(ctx context.Context, fs *flag.FlagSet, args []string, std stdio) int {
	id := fs.String("id", "", "user id")
	if code, done := parseFlags(fs, args, std, "hearth user deactivate --id ID"); done {
		return code
	}
	s, code := connectSession(std)
	if s == nil {
		return code
	}
	res, err := hearthv1connect.NewUserServiceClient(s.http, s.server, s.options()...).DeactivateUser(ctx, &hearthv1.DeactivateUserRequest{Id: *id})
	if err != nil {
		return fail(std.err, ExitFailure, fmt.Errorf("%s", describe(err)))
	}
	printUsers(std.out, res.GetUser())
	return ExitOK
}

// roleList is `hearth role list`.
func roleList(ctx context.Context, fs *flag.FlagSet, args []string, std stdio) int {
	if code, done := parseFlags(fs, args, std, "hearth role list"); done {
		return code
	}
	s, code := connectSession(std)
	if s == nil {
		return code
	}
	res, err := hearthv1connect.NewRoleServiceClient(s.http, s.server, s.options()...).ListRoles(ctx, &hearthv1.ListRolesRequest{})
	if err != nil {
		return fail(std.err, ExitFailure, fmt.Errorf("%s", describe(err)))
	}
	var rows [][]string
	for _, r := range res.GetRoles() {
		rows = append(rows, []string{r.GetId(), r.GetName(), fmt.Sprint(r.GetSystem()), strings.Join(r.GetPermissions(), ",")})
	}
	table(std.out, "ID\tNAME\tSYSTEM\tPERMISSIONS", rows)
	return ExitOK
}

// roleCreate is `hearth role create`.
func roleCreate(ctx context.Context, fs *flag.FlagSet, args []string, std stdio) int {
	name := fs.String("name", "", "role name")
	description := fs.String("description", "", "what the role is for")
	perms := fs.String("permissions", "", "comma-separated permission names, e.g. repo:read,pipeline:run")
	if code, done := parseFlags(fs, args, std, "hearth role create --name N --permissions a,b"); done {
		return code
	}
	s, code := connectSession(std)
	if s == nil {
		return code
	}
	res, err := hearthv1connect.NewRoleServiceClient(s.http, s.server, s.options()...).CreateRole(ctx, &hearthv1.CreateRoleRequest{
		Name: *name, Description: *description, Permissions: strings.Split(*perms, ","),
	})
	if err != nil {
		return fail(std.err, ExitFailure, fmt.Errorf("%s", describe(err)))
	}
	fmt.Fprintln(std.out, res.GetRole().GetId())
	return ExitOK
}

// roleBind is `hearth role bind`.
func roleBind(ctx context.Context, fs *flag.FlagSet, args []string, std stdio) int {
	role := fs.String("role", "", "role name or id")
	user := fs.String("user", "", "user id")
	project := fs.String("project", "", "project id (default: installation-wide)")
	if code, done := parseFlags(fs, args, std, "hearth role bind --role NAME --user ID [--project ID]"); done {
		return code
	}
	s, code := connectSession(std)
	if s == nil {
		return code
	}
	res, err := hearthv1connect.NewRoleServiceClient(s.http, s.server, s.options()...).CreateRoleBinding(ctx, &hearthv1.CreateRoleBindingRequest{
		Role: *role, UserId: *user, ProjectId: *project,
	})
	if err != nil {
		return fail(std.err, ExitFailure, fmt.Errorf("%s", describe(err)))
	}
	fmt.Fprintln(std.out, res.GetBinding().GetId())
	return ExitOK
}

// roleUnbind is `hearth role unbind`.
func roleUnbind(ctx context.Context, fs *flag.FlagSet, args []string, std stdio) int {
	id := fs.String("id", "", "binding id")
	if code, done := parseFlags(fs, args, std, "hearth role unbind --id ID"); done {
		return code
	}
	s, code := connectSession(std)
	if s == nil {
		return code
	}
	if _, err := hearthv1connect.NewRoleServiceClient(s.http, s.server, s.options()...).DeleteRoleBinding(ctx, &hearthv1.DeleteRoleBindingRequest{Id: *id}); err != nil {
		return fail(std.err, ExitFailure, fmt.Errorf("%s", describe(err)))
	}
	fmt.Fprintln(std.out, "Removed.")
	return ExitOK
}
