package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"connectrpc.com/connect"

	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
	"github.com/hearth-dev/hearth/shared/version"
)

func runVersion(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	serverURL := fs.String("server", envOr("HEARTH_SERVER", ""), "control plane URL, e.g. http://127.0.0.1:8080 (env HEARTH_SERVER)")
	timeout := fs.Duration("timeout", 10*time.Second, "how long to wait for the server")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, "Usage: hearth version [--server URL] [--timeout 10s]")
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return ExitOK
		}
		return fail(stderr, ExitUsage, err)
	}
	fmt.Fprintf(stdout, "client: %s\n", version.Get())
	if *serverURL == "" {
		return ExitOK
	}
	base, err := parseServerURL(*serverURL)
	if err != nil {
		return fail(stderr, ExitUsage, err)
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	client := hearthv1connect.NewSystemServiceClient(newHTTPClient(), base)
	res, err := client.GetVersion(ctx, &hearthv1.GetVersionRequest{})
	if err != nil {
		return fail(stderr, ExitFailure, fmt.Errorf("server %s: %s", base, describe(err)))
	}
	v := version.Info{Version: res.GetVersion(), Commit: res.GetCommit(), GoVersion: res.GetGoVersion()}
	fmt.Fprintf(stdout, "server: %s\n", v)
	return ExitOK
}

func parseServerURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("--server %q: want an http:// or https:// URL", raw)
	}
	return u.Scheme + "://" + u.Host + u.EscapedPath(), nil
}

// newHTTPClient speaks HTTP/2 over TLS, and HTTP/1.1 to plain http:// URLs
// (the Connect protocol needs nothing more for unary calls).
func newHTTPClient() *http.Client {
	return &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
}

// describe renders a Connect error for a person: the code and message,
// without Go's error chain noise.
func describe(err error) string {
	var ce *connect.Error
	if errors.As(err, &ce) {
		if ce.Code() == connect.CodeUnavailable || ce.Code() == connect.CodeUnknown {
			return "unreachable: " + ce.Message()
		}
		return ce.Code().String() + ": " + ce.Message()
	}
	return err.Error()
}

func envOr(name, def string) string {
	if v, ok := lookupEnv(name); ok {
		return v
	}
	return def
}
