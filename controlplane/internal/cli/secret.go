package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// maxSecretInput bounds what `secret set` reads (the server's limit is
// 64 KiB; reading one byte more tells it apart).
const maxSecretInput = 64<<10 + 1

func secretCommands() map[string]subcommand {
	return map[string]subcommand{
		"set": {"create a secret or give it a new value, read from stdin or --from-file (never an argument): NAME " +
			"(--project owner/name | --group G | --instance) [--environment E] [--protected] [--usage pipeline,agent_session,deploy] [--description D]", secretSet},
		"list":   {"list secrets (names and versions; values are never shown): --project owner/name | --group G | --instance", secretList},
		"delete": {"delete a secret and all its versions: NAME (--project owner/name | --group G | --instance) [--environment E]", secretDelete},
	}
}

// secretScope is the scope flags every secret command takes.
type secretScope struct {
	project, group *string
	instance       *bool
}

func scopeFlags(fs *flag.FlagSet) secretScope {
	return secretScope{
		project:  fs.String("project", "", "a project's secrets: owner/name"),
		group:    fs.String("group", "", "a group's secrets, which every project of the group receives"),
		instance: fs.Bool("instance", false, "the installation's secrets, which every project receives (admins)"),
	}
}

// check returns an error unless exactly one scope is given.
func (s secretScope) check() error {
	n := 0
	for _, set := range []bool{*s.project != "", *s.group != "", *s.instance} {
		if set {
			n++
		}
	}
	if n != 1 {
		return errors.New("give one of --project owner/name, --group G or --instance")
	}
	if *s.project != "" {
		_, _, err := splitProject(*s.project)
		return err
	}
	return nil
}

func secretClient(s *session) hearthv1connect.SecretServiceClient {
	return hearthv1connect.NewSecretServiceClient(s.http, s.server, s.options()...)
}

// secretSet is `hearth secret set`.
func secretSet(ctx context.Context, fs *flag.FlagSet, args []string, std stdio) int {
	scope := scopeFlags(fs)
	environment := fs.String("environment", "", "only for this environment (default: every environment)")
	protected := fs.Bool("protected", false, "only pipelines of protected branches and tags receive it")
	usage := fs.String("usage", "pipeline", "what may receive it: comma-separated pipeline, agent_session, deploy")
	description := fs.String("description", "", "what the secret is for")
	fromFile := fs.String("from-file", "", "read the value from this file instead of stdin (- is stdin)")
	keep := fs.Bool("keep-value", false, "change only the metadata, keeping the current value")
	name, code, done := parseWithID(fs, args, std, "hearth secret set NAME (--project owner/name | --group G | --instance) [flags] < value")
	if done {
		return code
	}
	if err := scope.check(); err != nil {
		return fail(std.err, ExitUsage, err)
	}
	in := &hearthv1.SecretInput{Name: name, Environment: *environment, Protected: *protected, Description: *description}
	for u := range strings.SplitSeq(*usage, ",") {
		v, ok := hearthv1.SecretUsage_value["SECRET_USAGE_"+strings.ToUpper(strings.TrimSpace(u))]
		if !ok || v == 0 {
			return fail(std.err, ExitUsage, fmt.Errorf("--usage %q: want pipeline, agent_session or deploy", u))
		}
		in.Usages = append(in.Usages, hearthv1.SecretUsage(v))
	}
	if !*keep {
		value, err := readSecretValue(std.in, *fromFile)
		if err != nil {
			return fail(std.err, ExitUsage, err)
		}
		in.Value = value
	}
	s, code := connectSession(std)
	if s == nil {
		return code
	}
	c := secretClient(s)
	var res interface{ GetSecret() *hearthv1.Secret }
	var err error
	switch {
	case *scope.project != "":
		owner, pname, _ := splitProject(*scope.project)
		res, err = c.SetProjectSecret(ctx, &hearthv1.SetProjectSecretRequest{Owner: owner, Name: pname, Secret: in})
	case *scope.group != "":
		res, err = c.SetGroupSecret(ctx, &hearthv1.SetGroupSecretRequest{Group: *scope.group, Secret: in})
	default:
		res, err = c.SetInstanceSecret(ctx, &hearthv1.SetInstanceSecretRequest{Secret: in})
	}
	if err != nil {
		return fail(std.err, ExitFailure, errors.New(describe(err)))
	}
	fmt.Fprintf(std.out, "%s version %d\n", res.GetSecret().GetName(), res.GetSecret().GetVersion())
	return ExitOK
}

// readSecretValue reads the value from path ("" or "-": stdin), as is:
// a value is bytes, so a trailing newline is kept only if it is there.
// When it comes from a terminal, the one newline typed to end it is cut.
func readSecretValue(stdin io.Reader, path string) ([]byte, error) {
	r := stdin
	fromTerminal := false
	if path != "" && path != "-" {
		f, err := os.Open(path) //nolint:gosec // G304: the user's own file, named on purpose
		if err != nil {
			return nil, err
		}
		defer func() { _ = f.Close() }()
		r = f
	} else if f, ok := stdin.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			fromTerminal = true
		}
	}
	b, err := io.ReadAll(io.LimitReader(r, maxSecretInput))
	if err != nil {
		return nil, err
	}
	if fromTerminal {
		b = []byte(strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r"))
	}
	if len(b) == 0 {
		return nil, errors.New("no value: pipe it on stdin or give --from-file (or --keep-value to change only the metadata)")
	}
	return b, nil
}

// secretList is `hearth secret list`.
func secretList(ctx context.Context, fs *flag.FlagSet, args []string, std stdio) int {
	scope := scopeFlags(fs)
	if code, done := parseFlags(fs, args, std, "hearth secret list --project owner/name | --group G | --instance"); done {
		return code
	}
	if err := scope.check(); err != nil {
		return fail(std.err, ExitUsage, err)
	}
	s, code := connectSession(std)
	if s == nil {
		return code
	}
	c := secretClient(s)
	var res interface{ GetSecrets() []*hearthv1.Secret }
	var err error
	switch {
	case *scope.project != "":
		owner, name, _ := splitProject(*scope.project)
		res, err = c.ListProjectSecrets(ctx, &hearthv1.ListProjectSecretsRequest{Owner: owner, Name: name})
	case *scope.group != "":
		res, err = c.ListGroupSecrets(ctx, &hearthv1.ListGroupSecretsRequest{Group: *scope.group})
	default:
		res, err = c.ListInstanceSecrets(ctx, &hearthv1.ListInstanceSecretsRequest{})
	}
	if err != nil {
		return fail(std.err, ExitFailure, errors.New(describe(err)))
	}
	var rows [][]string
	for _, sec := range res.GetSecrets() {
		env := sec.GetEnvironment()
		if env == "" {
			env = "*"
		}
		var usages []string
		for _, u := range sec.GetUsages() {
			usages = append(usages, strings.ToLower(strings.TrimPrefix(u.String(), "SECRET_USAGE_")))
		}
		rows = append(rows, []string{
			sec.GetName(), env, fmt.Sprint(sec.GetVersion()), fmt.Sprint(sec.GetProtected()), strings.Join(usages, ","),
			sec.GetUpdatedBy(), when(sec.GetUpdateTime()),
		})
	}
	table(std.out, "NAME\tENVIRONMENT\tVERSION\tPROTECTED\tUSAGE\tUPDATED BY\tUPDATED", rows)
	return ExitOK
}

// secretDelete is `hearth secret delete`.
func secretDelete(ctx context.Context, fs *flag.FlagSet, args []string, std stdio) int {
	scope := scopeFlags(fs)
	environment := fs.String("environment", "", "the environment of the secret to delete (default: the one for every environment)")
	name, code, done := parseWithID(fs, args, std, "hearth secret delete NAME (--project owner/name | --group G | --instance) [--environment E]")
	if done {
		return code
	}
	if err := scope.check(); err != nil {
		return fail(std.err, ExitUsage, err)
	}
	s, code := connectSession(std)
	if s == nil {
		return code
	}
	c := secretClient(s)
	var err error
	switch {
	case *scope.project != "":
		owner, pname, _ := splitProject(*scope.project)
		_, err = c.DeleteProjectSecret(ctx, &hearthv1.DeleteProjectSecretRequest{Owner: owner, Name: pname, SecretName: name, Environment: *environment})
	case *scope.group != "":
		_, err = c.DeleteGroupSecret(ctx, &hearthv1.DeleteGroupSecretRequest{Group: *scope.group, SecretName: name, Environment: *environment})
	default:
		_, err = c.DeleteInstanceSecret(ctx, &hearthv1.DeleteInstanceSecretRequest{SecretName: name, Environment: *environment})
	}
	if err != nil {
		return fail(std.err, ExitFailure, errors.New(describe(err)))
	}
	fmt.Fprintf(std.out, "deleted %s\n", name)
	return ExitOK
}
