package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http/cookiejar"
	"os"
	"strings"
	"time"

	"connectrpc.com/connect"
	"golang.org/x/term"
	"google.golang.org/protobuf/types/known/timestamppb"

	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// stdio bundles a command's standard streams (and, for API commands, the
// --server flag once parsed).
type stdio struct {
	in       io.Reader
	out, err io.Writer
	server   *string
}

func newLineReader(r io.Reader) *bufio.Reader { return bufio.NewReader(r) }

// runLogin signs in with a password, creates an API token for this
// machine, signs the browser-style session out again and stores the token.
func runLogin(ctx context.Context, args []string, std stdio) int {
	fs := flag.NewFlagSet("login", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	server := fs.String("server", "", "control plane URL (env HEARTH_SERVER)")
	username := fs.String("username", "", "username or email (asked when missing)")
	passwordStdin := fs.Bool("password-stdin", false, "read the password from standard input")
	expires := fs.Duration("expires", 90*24*time.Hour, "lifetime of the API token this machine gets")
	if code, done := parseFlags(fs, args, std, "hearth login [--server URL] [--username NAME] [--password-stdin]"); done {
		return code
	}
	if *server == "" {
		*server, _ = lookupEnv("HEARTH_SERVER")
	}
	base, err := parseServerURL(*server)
	if err != nil {
		return fail(std.err, ExitUsage, errors.New("give --server URL (or HEARTH_SERVER)"))
	}
	in := bufio.NewReader(std.in)
	if *username == "" {
		fmt.Fprint(std.err, "Username: ")
		line, _ := in.ReadString('\n')
		*username = strings.TrimSpace(line)
	}
	password, err := readPassword(in, std, *passwordStdin)
	if err != nil {
		return fail(std.err, ExitUsage, err)
	}

	jar, _ := cookiejar.New(nil)
	httpClient := newHTTPClient()
	httpClient.Jar = jar
	auth := hearthv1connect.NewAuthServiceClient(httpClient, base)
	login, err := auth.Login(ctx, &hearthv1.LoginRequest{Username: *username, Password: password})
	if err != nil {
		return fail(std.err, ExitFailure, fmt.Errorf("sign-in failed: %s", describe(err)))
	}
	csrf := connect.WithInterceptors(headerSetter{"X-CSRF-Token": login.GetCsrfToken()})
	if login.GetUser().GetMustChangePassword() {
		// A generated or reset password must be replaced before anything
		// else works: ask for the new one (a second line with --password-stdin).
		fmt.Fprintln(std.err, "Your password must be changed before you continue.")
		next, err := readPasswordPrompt(in, std, *passwordStdin, "New password: ")
		if err != nil {
			return fail(std.err, ExitUsage, err)
		}
		users := hearthv1connect.NewUserServiceClient(httpClient, base, csrf)
		if _, err := users.ChangePassword(ctx, &hearthv1.ChangePasswordRequest{CurrentPassword: password, NewPassword: next}); err != nil {
			return fail(std.err, ExitFailure, fmt.Errorf("changing the password: %s", describe(err)))
		}
	}
	tokens := hearthv1connect.NewTokenServiceClient(httpClient, base, csrf)
	scope := "api"
	if login.GetUser().GetAdmin() {
		scope = "admin"
	}
	host, _ := os.Hostname()
	created, err := tokens.CreateToken(ctx, &hearthv1.CreateTokenRequest{
		Name:       "hearth CLI on " + host,
		Scopes:     []string{scope},
		ExpireTime: timestamppb.New(time.Now().Add(*expires)),
	})
	if err != nil {
		return fail(std.err, ExitFailure, fmt.Errorf("creating an API token: %s", describe(err)))
	}
	// The token is all this machine keeps; the session is not needed.
	_, _ = hearthv1connect.NewAuthServiceClient(httpClient, base, csrf).Logout(ctx, &hearthv1.LogoutRequest{})

	err = saveCredentials(Credentials{Server: base, Token: created.GetToken(), TokenID: created.GetInfo().GetId(), User: login.GetUser().GetUsername()})
	if err != nil {
		return fail(std.err, ExitFailure, fmt.Errorf("storing the token: %w", err))
	}
	fmt.Fprintf(std.out, "Signed in to %s as %s.\n", base, login.GetUser().GetUsername())
	return ExitOK
}

func readPassword(in *bufio.Reader, std stdio, fromStdin bool) (string, error) {
	return readPasswordPrompt(in, std, fromStdin, "Password: ")
}

func readPasswordPrompt(in *bufio.Reader, std stdio, fromStdin bool, prompt string) (string, error) {
	if f, ok := std.in.(*os.File); ok && !fromStdin && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(std.err, prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(std.err)
		return string(b), err
	}
	if !fromStdin {
		return "", errors.New("no terminal to ask for the password: use --password-stdin")
	}
	line, err := in.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func runLogout(ctx context.Context, args []string, std stdio) int {
	fs := flag.NewFlagSet("logout", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if code, done := parseFlags(fs, args, std, "hearth logout"); done {
		return code
	}
	c, err := loadCredentials()
	if err != nil {
		return fail(std.err, ExitFailure, err)
	}
	if c.Token != "" && c.TokenID != "" {
		s := &session{server: c.Server, token: c.Token, http: newHTTPClient()}
		client := hearthv1connect.NewTokenServiceClient(s.http, s.server, s.options()...)
		if _, err := client.RevokeToken(ctx, &hearthv1.RevokeTokenRequest{Id: c.TokenID}); err != nil {
			fmt.Fprintf(std.err, "hearth: could not revoke the token on the server (%s); forgetting it anyway\n", describe(err))
		}
	}
	if err := removeCredentials(); err != nil {
		return fail(std.err, ExitFailure, err)
	}
	fmt.Fprintln(std.out, "Signed out.")
	return ExitOK
}

// parseFlags parses args; done is true when the command should end now
// (help was printed, or the flags were bad) with code.
func parseFlags(fs *flag.FlagSet, args []string, std stdio, usage string) (int, bool) {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(std.out, "Usage: "+usage)
		fs.SetOutput(std.out)
		fs.PrintDefaults()
		return ExitOK, true
	}
	if err != nil {
		return fail(std.err, ExitUsage, err), true
	}
	if fs.NArg() > 0 {
		return fail(std.err, ExitUsage, fmt.Errorf("unexpected argument %q", fs.Arg(0))), true
	}
	return 0, false
}

// headerSetter adds fixed headers to every call.
type headerSetter map[string]string

func (h headerSetter) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		for k, v := range h {
			req.Header().Set(k, v)
		}
		return next(ctx, req)
	}
}

func (h headerSetter) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return func(ctx context.Context, spec connect.Spec) connect.StreamingClientConn {
		conn := next(ctx, spec)
		for k, v := range h {
			conn.RequestHeader().Set(k, v)
		}
		return conn
	}
}

func (h headerSetter) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return next
}
