package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// Building and making the table's calls.

// ghostName names a project or group that does not exist.
const ghostName = "ghost"

// request builds c's request: the generic fields from the world, then the
// variant's, then (for a call expected to succeed) its throwaway target.
func (w *world) request(t testing.TB, c *tcase) proto.Message {
	t.Helper()
	mt, err := protoregistry.GlobalTypes.FindMessageByName(c.md.Input().FullName())
	if err != nil {
		t.Fatalf("request type of %s: %v", c.proc, err)
	}
	msg := mt.New()
	w.fillRequest(c, msg)
	if c.variant.set != nil {
		c.variant.set(w, c, msg)
	}
	if c.variant.fresh != nil && c.want == allowed {
		c.variant.fresh(t, w, c, c.caller, msg)
		// The throwaway target may differ (a project token holds nothing
		// on a project it does not name).
		c.want = w.expect(c)
	}
	return msg.Interface()
}

// fillRequest sets the fields every RPC names the same way: the project's
// owner and name, issue and merge request numbers, ids of comments,
// pipelines and jobs, refs, and some text.
func (w *world) fillRequest(c *tcase, m protoreflect.Message) {
	fields := m.Descriptor().Fields()
	has := func(n string) bool { return fields.ByName(protoreflect.Name(n)) != nil }
	str := func(n, v string) {
		if has(n) {
			set(m, n, v)
		}
	}
	service, method := string(c.md.Parent().Name()), string(c.md.Name())
	for _, n := range []string{"title", "body", "description"} {
		if fd := fields.ByName(protoreflect.Name(n)); fd != nil && fd.Kind() == protoreflect.StringKind && !fd.IsList() {
			set(m, n, "authz table")
		}
	}
	str("cluster_id", w.cluster)
	if p := c.target.project; p != nil {
		if has("owner") && has("name") {
			set(m, "owner", p.owner)
			set(m, "name", p.name)
		}
		switch service {
		case "IssueService":
			if has("number") {
				set(m, "number", p.issue)
			}
			str("comment_id", p.comment)
		case "MergeRequestService":
			if has("number") {
				set(m, "number", p.mr)
			}
			str("comment_id", p.mrComment)
		case "PipelineService":
			switch method {
			case "GetPipeline", "CancelPipeline", "RetryPipeline":
				str("id", p.pipeline)
			case "GetJob", "RetryJob", "CancelJob":
				str("id", p.job)
			case "DeleteSchedule":
				str("id", p.schedule)
			}
		case "ProjectService":
			if method == "GetProjectById" {
				str("id", p.id.String())
			}
		}
		if c.caller.user == "former" && p.own.issue != 0 {
			// Former members name their own rows.
			switch service {
			case "IssueService":
				if has("number") {
					set(m, "number", p.own.issue)
				}
				if has("comment_id") {
					set(m, "number", p.issue)
					set(m, "comment_id", p.own.comment)
				}
			case "MergeRequestService":
				if has("number") {
					set(m, "number", p.own.mr)
				}
				if has("comment_id") {
					set(m, "number", p.mr)
					set(m, "comment_id", p.own.mrComment)
				}
			}
		}
		str("job_id", p.job)
		str("sha", p.commit)
		str("ref", "main")
		str("base", "main")
		str("head", worldBranch)
		str("source_branch", worldBranch)
		str("target_branch", "main")
		str("label", labelName)
		str("cron", "0 4 * * *")
	}
	if c.target.kind == onGroup && service == "GroupService" {
		str("name", groupName)
	}
	if c.target.kind == onGroup {
		str("group", groupName)
	}
	if service == "GroupService" || service == "ProjectService" {
		str("username", "victim")
		str("role", "viewer")
	}
	if c.target.ghost {
		if has("owner") && has("name") {
			set(m, "owner", "owner")
			set(m, "name", ghostName)
		}
		if c.target.kind == onGroup {
			str("name", ghostName)
			str("group", ghostName)
		}
		if service == "PipelineService" || method == "GetProjectById" {
			if has("id") {
				set(m, "id", uuid.NewString())
			}
			str("job_id", uuid.NewString())
		}
	}
}

// answer is what a call got.
type answer struct {
	// code is the Connect error code ("" : success).
	code, message string
	// challenge: the answer carried WWW-Authenticate.
	challenge bool
	// body is the response as JSON (success only).
	body string
}

// call makes the call as c's principal.
func (w *world) call(t testing.TB, c *tcase, req proto.Message) answer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if c.md.IsStreamingServer() || c.md.IsStreamingClient() {
		caller, ok := streamCallers[c.proc]
		if !ok {
			t.Fatalf("%s streams: add a caller to streamCallers", c.proc)
		}
		res, err := caller(ctx, w.srv.URL, c.caller, req)
		return answerOf(res, err)
	}
	body, err := proto.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, w.srv.URL+c.proc, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	hr.Header.Set("Content-Type", "application/proto")
	hr.Header.Set("Connect-Protocol-Version", "1")
	c.caller.authorize(hr)
	res, err := c.caller.httpClient().Do(hr)
	if err != nil {
		t.Fatalf("%s: %v", c, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s: reading the answer: %v", c, err)
	}
	a := answer{challenge: res.Header.Get("WWW-Authenticate") != ""}
	if res.StatusCode != http.StatusOK {
		var e struct{ Code, Message string }
		if json.Unmarshal(raw, &e) != nil || e.Code == "" {
			e.Code, e.Message = "http_"+http.StatusText(res.StatusCode), string(raw)
		}
		a.code, a.message = e.Code, e.Message
		return a
	}
	mt, err := protoregistry.GlobalTypes.FindMessageByName(c.md.Output().FullName())
	if err != nil {
		t.Fatal(err)
	}
	out := mt.New().Interface()
	if err := proto.Unmarshal(raw, out); err != nil {
		t.Fatalf("%s: decoding the answer: %v", c, err)
	}
	a.body = protojson.Format(out)
	return a
}

// answerOf turns a generated client's result into an answer.
func answerOf(res proto.Message, err error) answer {
	if err != nil {
		var ce *connect.Error
		if !errors.As(err, &ce) {
			return answer{code: "unknown", message: err.Error()}
		}
		return answer{code: ce.Code().String(), message: ce.Message(), challenge: ce.Meta().Get("WWW-Authenticate") != ""}
	}
	if res == nil {
		return answer{}
	}
	return answer{body: protojson.Format(res)}
}

// headerInterceptor sends a principal's credentials from a generated client.
type headerInterceptor struct{ pr *principal }

func (h headerInterceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		h.set(req.Header())
		return next(ctx, req)
	}
}

func (h headerInterceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return func(ctx context.Context, spec connect.Spec) connect.StreamingClientConn {
		conn := next(ctx, spec)
		h.set(conn.RequestHeader())
		return conn
	}
}

func (h headerInterceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return next
}

func (h headerInterceptor) set(header http.Header) {
	r := &http.Request{Header: header}
	h.pr.authorize(r)
}

// streamCallers call the streaming RPCs with their generated clients and
// return the first message (or the error the stream ended with).
var streamCallers = map[string]func(ctx context.Context, url string, pr *principal, req proto.Message) (proto.Message, error){
	hearthv1connect.PipelineServiceFollowJobLogProcedure: func(ctx context.Context, url string, pr *principal, req proto.Message) (proto.Message, error) {
		client := hearthv1connect.NewPipelineServiceClient(pr.httpClient(), url, connect.WithInterceptors(headerInterceptor{pr}))
		stream, err := client.FollowJobLog(ctx, req.(*hearthv1.FollowJobLogRequest))
		if err != nil {
			return nil, err
		}
		defer stream.Close()
		if stream.Receive() {
			return stream.Msg(), nil
		}
		return nil, stream.Err()
	},
	hearthv1connect.ObserveServiceTailLogsProcedure: func(ctx context.Context, url string, pr *principal, req proto.Message) (proto.Message, error) {
		client := hearthv1connect.NewObserveServiceClient(pr.httpClient(), url, connect.WithInterceptors(headerInterceptor{pr}))
		stream, err := client.TailLogs(ctx, req.(*hearthv1.TailLogsRequest))
		if err != nil {
			return nil, err
		}
		defer stream.Close()
		if stream.Receive() { // an empty message says the tail is live
			return stream.Msg(), nil
		}
		return nil, stream.Err()
	},
	hearthv1connect.NotificationServiceWatchNotificationsProcedure: func(ctx context.Context, url string, pr *principal, req proto.Message) (proto.Message, error) {
		client := hearthv1connect.NewNotificationServiceClient(pr.httpClient(), url, connect.WithInterceptors(headerInterceptor{pr}))
		stream, err := client.WatchNotifications(ctx, req.(*hearthv1.WatchNotificationsRequest))
		if err != nil {
			return nil, err
		}
		defer stream.Close()
		if stream.Receive() { // the unread count comes at once
			return stream.Msg(), nil
		}
		return nil, stream.Err()
	},
}
