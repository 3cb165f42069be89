// Command hearth is the Hearth control plane and its command-line client.
//
//	hearth server    the production control plane (takes URLs, starts nothing else)
//	hearth dev       everything on one machine with embedded defaults
//	hearth version   client and server versions
//
// Run `hearth help` or `hearth <command> --help` for the flags.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/hearth-dev/hearth/controlplane/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
