package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"connectrpc.com/connect"

	"github.com/hearth-dev/hearth/shared/backoff"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// varFlags collects repeated --var NAME=VALUE flags.
type varFlags map[string]string

func (v varFlags) String() string { return formatLabels(v) }

func (v varFlags) Set(s string) error {
	name, value, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return fmt.Errorf("%q: want NAME=VALUE", s)
	}
	v[name] = value
	return nil
}

// parseWithID parses `<verb> ID [flags]` or `<verb> [flags] ID`: the one
// positional argument is an id.
func parseWithID(fs *flag.FlagSet, args []string, std stdio, usage string) (string, int, bool) {
	var id string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		id, args = args[0], args[1:]
	}
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(std.out, "Usage: "+usage)
		fs.SetOutput(std.out)
		fs.PrintDefaults()
		return "", ExitOK, true
	}
	if err != nil {
		return "", fail(std.err, ExitUsage, err), true
	}
	rest := fs.Args()
	if id == "" && len(rest) > 0 {
		id, rest = rest[0], rest[1:]
	}
	if len(rest) > 0 {
		return "", fail(std.err, ExitUsage, fmt.Errorf("unexpected argument %q", rest[0])), true
	}
	if id == "" {
		return "", fail(std.err, ExitUsage, fmt.Errorf("usage: %s", usage)), true
	}
	return id, 0, false
}

func splitProject(p string) (string, string, error) {
	owner, name, ok := strings.Cut(p, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return "", "", fmt.Errorf("--project %q: want owner/name", p)
	}
	return owner, name, nil
}

func stateName(s hearthv1.PipelineState) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "PIPELINE_STATE_"))
}

func printPipeline(w io.Writer, p *hearthv1.Pipeline) {
	fmt.Fprintf(w, "Pipeline %s (#%d) %s\n", p.GetId(), p.GetNumber(), stateName(p.GetState()))
	fmt.Fprintf(w, "  project %s, %s at %s (%s)\n", p.GetProject(), p.GetRef(), shortSHA(p.GetCommitSha()), p.GetEvent())
	if p.GetError() != "" {
		fmt.Fprintf(w, "  error: %s\n", p.GetError())
	}
	if len(p.GetJobs()) == 0 {
		return
	}
	var rows [][]string
	for _, j := range p.GetJobs() {
		rows = append(rows, []string{j.GetId(), j.GetName(), fmt.Sprint(j.GetAttempt()), stateName(j.GetState()),
			strings.Join(j.GetNeeds(), ","), j.GetMessage()})
	}
	table(w, "JOB\tNAME\tATTEMPT\tSTATE\tNEEDS\tMESSAGE", rows)
}

func shortSHA(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

func pipelineCommands() map[string]subcommand {
	return map[string]subcommand{
		"list":   {"list a project's pipelines, newest first: --project owner/name [--limit 20]", pipelineList},
		"get":    {"show a pipeline and its jobs: ID", pipelineGet},
		"run":    {"run a pipeline: --project owner/name [--ref main] [--var NAME=VALUE ...]", pipelineRun},
		"cancel": {"cancel a pipeline (or one job with --job): ID", pipelineCancel},
		"retry":  {"run a pipeline's failed jobs again (or one job with --job): ID", pipelineRetry},
		"logs":   {"print a job's log; -f follows it live until the job ends: JOB_ID", pipelineLogs},
	}
}

// rawLog copies GET /api/v1/jobs/{id}/log to w.
func rawLog(ctx context.Context, s *session, jobID string, w io.Writer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.server+"/api/v1/jobs/"+url.PathEscape(jobID)+"/log", nil)
	if err != nil {
		return err
	}
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	res, err := s.http.Do(req)
	if err != nil {
		return fmt.Errorf("unreachable: %w", err)
	}
	defer res.Body.Close() //nolint:errcheck // read-only body.
	if res.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
		return fmt.Errorf("%s: %s", res.Status, strings.TrimSpace(string(body)))
	}
	_, err = io.Copy(w, res.Body)
	return err
}

// maxFollowAttempts bounds consecutive reconnections without progress.
const maxFollowAttempts = 20

// followLog streams a job's log to w, resuming from the last byte received
// when the stream breaks, until the job's final state arrives.
func followLog(ctx context.Context, c hearthv1connect.PipelineServiceClient, jobID string, w io.Writer) (hearthv1.PipelineState, error) {
	var step uint32
	var offset uint64
	policy := backoff.Policy{Min: 200 * time.Millisecond, Max: 5 * time.Second}
	for attempt := 0; ; attempt++ {
		stream, err := c.FollowJobLog(ctx, &hearthv1.FollowJobLogRequest{JobId: jobID, Step: step, Offset: offset})
		if err == nil {
			for stream.Receive() {
				msg := stream.Msg()
				if len(msg.GetData()) > 0 {
					attempt = 0 // progress: only data counts (every stream opens with an empty message)
					if _, werr := w.Write(msg.GetData()); werr != nil {
						_ = stream.Close()
						return 0, werr
					}
					step, offset = msg.GetStep(), msg.GetOffset()+uint64(len(msg.GetData()))
				}
				if msg.GetFinalState() != hearthv1.PipelineState_PIPELINE_STATE_UNSPECIFIED {
					_ = stream.Close()
					return msg.GetFinalState(), nil
				}
			}
			err = stream.Err()
			_ = stream.Close()
		}
		if !retryable(err) || attempt >= maxFollowAttempts {
			if err == nil {
				err = errors.New("the log stream ended before the job did")
			} else {
				err = errors.New(describe(err))
			}
			return 0, err
		}
		if !policy.Sleep(ctx, attempt) {
			return 0, ctx.Err()
		}
	}
}

// retryable reports a broken stream worth resuming (nil: it ended early).
func retryable(err error) bool {
	if err == nil {
		return true
	}
	switch connect.CodeOf(err) {
	case connect.CodeUnavailable, connect.CodeUnknown, connect.CodeDeadlineExceeded, connect.CodeInternal, connect.CodeAborted:
		return true
	default:
		return false
	}
}

// pipelineClient is the PipelineServiceClient of s.
func pipelineClient(s *session) hearthv1connect.PipelineServiceClient {
	return hearthv1connect.NewPipelineServiceClient(s.http, s.server, s.options()...)
}

// pipelineList is `hearth pipeline list`.
func pipelineList(ctx context.Context, fs *flag.FlagSet, args []string, std stdio) int {
	project := fs.String("project", "", "owner/name")
	limit := fs.Int("limit", 20, "how many (1-100)")
	if code, done := parseFlags(fs, args, std, "hearth pipeline list --project owner/name [--limit 20]"); done {
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
	res, err := pipelineClient(s).ListPipelines(ctx, &hearthv1.ListPipelinesRequest{Owner: owner, Name: name, PageSize: int32(*limit)}) //nolint:gosec // G115: validated by the server.
	if err != nil {
		return fail(std.err, ExitFailure, errors.New(describe(err)))
	}
	var rows [][]string
	for _, p := range res.GetPipelines() {
		rows = append(rows, []string{p.GetId(), fmt.Sprint(p.GetNumber()), stateName(p.GetState()), p.GetRef(),
			shortSHA(p.GetCommitSha()), p.GetEvent(), when(p.GetCreateTime())})
	}
	table(std.out, "ID\tNUMBER\tSTATE\tREF\tCOMMIT\tEVENT\tCREATED", rows)
	return ExitOK
}

// pipelineGet is `hearth pipeline get`.
func pipelineGet(ctx context.Context, fs *flag.FlagSet, args []string, std stdio) int {
	id, code, done := parseWithID(fs, args, std, "hearth pipeline get ID")
	if done {
		return code
	}
	s, code := connectSession(std)
	if s == nil {
		return code
	}
	res, err := pipelineClient(s).GetPipeline(ctx, &hearthv1.GetPipelineRequest{Id: id})
	if err != nil {
		return fail(std.err, ExitFailure, errors.New(describe(err)))
	}
	printPipeline(std.out, res.GetPipeline())
	return ExitOK
}

// pipelineRun is `hearth pipeline run`.
func pipelineRun(ctx context.Context, fs *flag.FlagSet, args []string, std stdio) int {
	project := fs.String("project", "", "owner/name")
	ref := fs.String("ref", "", "branch, tag or full ref (default: the default branch)")
	vars := varFlags{}
	fs.Var(vars, "var", "a variable NAME=VALUE for every job (repeatable)")
	if code, done := parseFlags(fs, args, std, "hearth pipeline run --project owner/name [--ref R] [--var NAME=VALUE]"); done {
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
	res, err := pipelineClient(s).RunPipeline(ctx, &hearthv1.RunPipelineRequest{Owner: owner, Name: name, Ref: *ref, Variables: vars})
	if err != nil {
		return fail(std.err, ExitFailure, errors.New(describe(err)))
	}
	printPipeline(std.out, res.GetPipeline())
	return ExitOK
}

// pipelineCancel is `hearth pipeline cancel`.
func pipelineCancel(ctx context.Context, fs *flag.FlagSet, args []string, std stdio) int {
	job := fs.Bool("job", false, "ID is a job's id: cancel only that job")
	id, code, done := parseWithID(fs, args, std, "hearth pipeline cancel [--job] ID")
	if done {
		return code
	}
	s, code := connectSession(std)
	if s == nil {
		return code
	}
	if *job {
		res, err := pipelineClient(s).CancelJob(ctx, &hearthv1.CancelJobRequest{Id: id})
		if err != nil {
			return fail(std.err, ExitFailure, errors.New(describe(err)))
		}
		fmt.Fprintf(std.out, "Job %s %s\n", res.GetJob().GetId(), stateName(res.GetJob().GetState()))
		return ExitOK
	}
	res, err := pipelineClient(s).CancelPipeline(ctx, &hearthv1.CancelPipelineRequest{Id: id})
	if err != nil {
		return fail(std.err, ExitFailure, errors.New(describe(err)))
	}
	printPipeline(std.out, res.GetPipeline())
	return ExitOK
}

// pipelineRetry is `hearth pipeline retry`.
func pipelineRetry(ctx context.Context, fs *flag.FlagSet, args []string, std stdio) int {
	job := fs.Bool("job", false, "ID is a job's id: retry only that job (and its dependants)")
	id, code, done := parseWithID(fs, args, std, "hearth pipeline retry [--job] ID")
	if done {
		return code
	}
	s, code := connectSession(std)
	if s == nil {
		return code
	}
	if *job {
		res, err := pipelineClient(s).RetryJob(ctx, &hearthv1.RetryJobRequest{Id: id})
		if err != nil {
			return fail(std.err, ExitFailure, errors.New(describe(err)))
		}
		fmt.Fprintf(std.out, "Job %s (attempt %d) %s\n", res.GetJob().GetId(), res.GetJob().GetAttempt(), stateName(res.GetJob().GetState()))
		return ExitOK
	}
	res, err := pipelineClient(s).RetryPipeline(ctx, &hearthv1.RetryPipelineRequest{Id: id})
	if err != nil {
		return fail(std.err, ExitFailure, errors.New(describe(err)))
	}
	printPipeline(std.out, res.GetPipeline())
	return ExitOK
}

// pipelineLogs is `hearth pipeline logs`.
func pipelineLogs(ctx context.Context, fs *flag.FlagSet, args []string, std stdio) int {
	follow := fs.Bool("f", false, "follow the log until the job ends (exit 1 unless it succeeded)")
	id, code, done := parseWithID(fs, args, std, "hearth pipeline logs [-f] JOB_ID")
	if done {
		return code
	}
	s, code := connectSession(std)
	if s == nil {
		return code
	}
	if !*follow {
		if err := rawLog(ctx, s, id, std.out); err != nil {
			return fail(std.err, ExitFailure, err)
		}
		return ExitOK
	}
	state, err := followLog(ctx, pipelineClient(s), id, std.out)
	if err != nil {
		return fail(std.err, ExitFailure, err)
	}
	fmt.Fprintf(std.err, "hearth: job %s %s\n", id, stateName(state))
	if state != hearthv1.PipelineState_PIPELINE_STATE_SUCCESS {
		return ExitFailure
	}
	return ExitOK
}
