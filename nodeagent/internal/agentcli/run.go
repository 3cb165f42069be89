package agentcli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/hearth-dev/hearth/nodeagent/internal/identity"
	"github.com/hearth-dev/hearth/nodeagent/internal/kubeagent"
	"github.com/hearth-dev/hearth/nodeagent/internal/runner"
	kuberunner "github.com/hearth-dev/hearth/nodeagent/internal/runner/kubernetes"
	"github.com/hearth-dev/hearth/nodeagent/internal/runner/process"
	"github.com/hearth-dev/hearth/nodeagent/internal/session"
	"github.com/hearth-dev/hearth/shared/logfield"
	"github.com/hearth-dev/hearth/shared/logging"
	"github.com/hearth-dev/hearth/shared/version"
)

// runAgent is `hearth-agent run`: it returns when ctx ends (exit 0) or
// the agent cannot go on (exit 1).
func runAgent(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c, err := parseRun(args, os.Getenv)
	if errors.Is(err, flag.ErrHelp) {
		printUsage(stdout)
		return exitOK
	}
	if err != nil {
		var ue *usageError
		if errors.As(err, &ue) {
			for _, p := range ue.problems {
				fmt.Fprintf(stderr, "hearth-agent: %s\n", p)
			}
		} else {
			fmt.Fprintf(stderr, "hearth-agent: %v\n", err)
		}
		return exitUsage
	}
	log, err := logging.New(stderr, c.LogLevel, c.LogFormat)
	if err != nil { // checked by parseRun
		fmt.Fprintf(stderr, "hearth-agent: %v\n", err)
		return exitUsage
	}
	var (
		r     runner.Runner
		store identity.Store
	)
	if newRunner, ok := testRunners[c.Runner]; ok {
		r = newRunner()
	} else if c.Runner == kuberunner.Kind {
		k, err := startKube(ctx, c.Kube, c.Name, log)
		if err != nil {
			fmt.Fprintf(stderr, "hearth-agent: the kubernetes runner: %v\n", err)
			return exitFailure
		}
		defer k.release()
		r, store, ctx = k.runner, k.identity, k.ctx
	} else {
		pr, err := process.New(process.Options{Logger: log, JobUIDBase: c.JobUIDBase, SecretsDir: c.SecretsDir})
		if err != nil {
			fmt.Fprintf(stderr, "hearth-agent: the process runner: %v\n", err)
			return exitFailure
		}
		r = pr
	}
	col, err := startOTLP(c, log)
	if err != nil {
		fmt.Fprintf(stderr, "hearth-agent: the OTLP receiver: %v\n", err)
		return exitFailure
	}
	var endpoint string
	if col != nil {
		defer col.close()
		endpoint = col.endpoint
	}
	s, err := session.New(session.Deps{
		Server: c.Server, DataDir: c.DataDir, Identity: store, JoinToken: c.JoinToken, Name: c.Name, Labels: c.Labels,
		Capacity: c.Capacity, Runner: r, MaxJobLogBytes: c.MaxJobLogBytes, RotateEvery: c.RotateEvery,
		OTLPEndpoint: endpoint, Logger: log,
	})
	if err != nil {
		fmt.Fprintf(stderr, "hearth-agent: %v\n", err)
		return exitUsage
	}
	log.Info().Str(logfield.Version, version.Get().String()).Str(logfield.ServerValue, c.Server).
		Str(logfield.Runner, c.Runner).Int(logfield.Capacity, c.Capacity).Msg("hearth-agent starting")
	if err := runSession(ctx, s, col); err != nil || errors.Is(context.Cause(ctx), kubeagent.ErrLost) {
		if err == nil {
			err = context.Cause(ctx)
		}
		log.Error().Err(err).Bool(logfield.CredentialRefused, errors.Is(err, identity.ErrUnauthenticated)).Msg("hearth-agent stopped")
		fmt.Fprintf(stderr, "hearth-agent: %v\n", err)
		return exitFailure
	}
	log.Info().Msg("hearth-agent stopped; running jobs keep running and are resumed at the next start")
	return exitOK
}

// runSession runs s and, beside it, the OTLP collector (col, nil when
// off): the collector stops when the session does (ctx ended, or the
// agent cannot go on), and runSession returns once every part stopped.
func runSession(ctx context.Context, s *session.Session, col *otlpRun) error {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	if col != nil {
		col.start(ctx, &wg, s)
	}
	err := s.Run(ctx)
	stop()
	wg.Wait()
	return err
}
