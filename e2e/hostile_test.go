package e2e

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"go.yaml.in/yaml/v3"

	"github.com/hearth-dev/hearth/controlplane/servertest"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1/agentv1connect"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// hostileCorpus is the file of hostile inputs TestHostileCorpus replays.
const hostileCorpus = "testdata/hostile.yaml"

// hostileCase is one hostile input and the refusal it must get. Exactly
// one of the request shapes is used: an HTTP request (REST, Connect,
// gRPC-Web, git smart HTTP, downloads), an artifact upload over the agent
// gateway, or a .hearth.yml pushed with git.
type hostileCase struct {
	Name string `yaml:"name"`
	// As is who sends it: anonymous, admin, mallory (signed in, no roles),
	// readonly (the admin's read-only token) or agent (an agent credential).
	As     string            `yaml:"as"`
	Method string            `yaml:"method"`
	Path   string            `yaml:"path"`
	Header map[string]string `yaml:"header"`
	Body   string            `yaml:"body"`
	Gen    *bodyGen          `yaml:"gen"`
	Upload *uploadCase       `yaml:"upload"`
	// Pipeline is a .hearth.yml pushed to a branch of its own.
	Pipeline *string    `yaml:"pipeline"`
	Expect   hostileExp `yaml:"expect"`
}

// bodyGen builds bodies too large or too binary to write out.
type bodyGen struct {
	// GzipZeros: that many zero bytes, gzip-compressed (a decompression
	// bomb); the case should also set Content-Encoding.
	GzipZeros int64 `yaml:"gzip_zeros"`
	// Repeat Text Times times between Prefix and Suffix.
	Repeat string `yaml:"repeat"`
	Times  int    `yaml:"times"`
	Prefix string `yaml:"prefix"`
	Suffix string `yaml:"suffix"`
	// Pkt: git pkt-lines ("0000" is a flush; "raw:" starts unframed
	// bytes such as a pack); each line is framed as is.
	Pkt []string `yaml:"pkt"`
	// Frame: one gRPC/gRPC-Web/Connect-streaming envelope: a flag byte,
	// a declared length (0: the payload's; any other may lie) and the
	// payload.
	Frame *frame `yaml:"frame"`
}

type frame struct {
	Flags   byte   `yaml:"flags"`
	Length  uint32 `yaml:"length"`
	Payload string `yaml:"payload"`
}

type uploadCase struct {
	// Job: "job" (a real job not assigned to this agent), "random" (an
	// unknown id) or a literal.
	Job  string `yaml:"job"`
	Name string `yaml:"name"`
	// NoHeader sends data first; Headers sends a second header.
	NoHeader bool `yaml:"no_header"`
	Headers  bool `yaml:"two_headers"`
}

type hostileExp struct {
	// Status is the HTTP status (0: not checked, for uploads and pipelines).
	Status int `yaml:"status"`
	// Code is the Connect/REST error code of a JSON error body, or of an
	// upload's error.
	Code string `yaml:"code"`
	// GRPCStatus is the grpc-status of a gRPC-Web answer.
	GRPCStatus string `yaml:"grpc_status"`
	// Contains must appear in the answer (body, or the pipeline's error).
	Contains []string `yaml:"contains"`
	// Absent must not appear in the answer (added to hostileLeaks).
	Absent []string `yaml:"absent"`
}

// hostileLeaks must never appear in any answer: internals an attacker
// should not see.
var hostileLeaks = []string{"proto:", "goroutine ", "panic", "SQLSTATE", "pgx", "runtime error", "/root/", "syntax error at"}

// TestHostileCorpus replays every case of testdata/hostile.yaml against a
// running control plane and checks each gets its refusal, that no answer
// leaks internals or a token, and that the server is healthy and unchanged
// afterwards (no project or user with a hostile name was created).
func TestHostileCorpus(t *testing.T) {
	raw, err := os.ReadFile(hostileCorpus)
	if err != nil {
		t.Fatal(err)
	}
	var cases []hostileCase
	if err := yaml.Unmarshal(raw, &cases); err != nil {
		t.Fatalf("%s: %v", hostileCorpus, err)
	}
	if len(cases) < 150 {
		t.Fatalf("the corpus holds %d cases, want at least 150", len(cases))
	}
	seen := map[string]bool{}
	for _, c := range cases {
		if seen[c.Name] || c.Name == "" {
			t.Fatalf("case name %q is empty or used twice", c.Name)
		}
		seen[c.Name] = true
	}

	h := newHostileWorld(t)
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			switch {
			case c.Upload != nil:
				h.upload(t, c)
			case c.Pipeline != nil:
				h.pipeline(t, c)
			default:
				h.request(t, c)
			}
		})
	}
	h.checkUnharmed(t)
	t.Logf("hostile corpus: %d cases", len(cases))
}

// hostileWorld is the world the corpus is replayed against.
type hostileWorld struct {
	*world
	vars       map[string]string
	tokens     map[string]string
	credential string // an agent's
}

func newHostileWorld(t *testing.T) *hostileWorld {
	t.Helper()
	w := newWorld(t)
	ctx := t.Context()
	h := &hostileWorld{world: w, tokens: map[string]string{"admin": w.admin}}
	w.srv.CreateUser(t, w.admin, "mallory", "mallory-password-123", false)
	h.tokens["mallory"] = w.srv.Token(t, "mallory", "mallory-password-123", "api")
	h.tokens["readonly"] = w.srv.Token(t, servertest.AdminUsername, w.srv.AdminPassword, "read-only")

	projects := hearthv1connect.NewProjectServiceClient(http.DefaultClient, w.srv.URL, servertest.BearerOption(w.admin))
	for _, p := range []*hearthv1.CreateProjectRequest{
		{Name: "open", Visibility: hearthv1.Visibility_VISIBILITY_PUBLIC},
		{Name: "scratch"}, // what renames and transfers aim at
	} {
		if _, err := projects.CreateProject(ctx, p); err != nil {
			t.Fatalf("create project %s: %v", p.GetName(), err)
		}
	}
	// A pipeline with a job that no agent runs: real ids to aim at.
	sha := w.push(t, "main", map[string]string{".hearth.yml": "jobs:\n  build:\n    steps: [\"true\"]\n"})
	p := w.waitPipeline(t, time.Minute, func(p *hearthv1.Pipeline) bool { return p.GetCommitSha() == sha && len(p.GetJobs()) > 0 })

	reg := agentv1connect.NewRegistrationServiceClient(http.DefaultClient, w.srv.URL)
	res, err := reg.Register(ctx, &agentv1.RegisterRequest{
		JoinToken: w.joinToken(t), AgentName: "hostile", RunnerKind: "fake", ProtocolVersion: 1,
	})
	if err != nil {
		t.Fatalf("register an agent: %v", err)
	}
	h.credential = res.GetCredential()
	h.tokens["agent"] = h.credential
	h.vars = map[string]string{
		"owner": w.owner, "project": w.project, "public": "open", "scratch": "scratch", "sha": sha,
		"pipeline": p.GetId(), "job": p.GetJobs()[0].GetId(), "cluster": w.cluster,
		"uuid": uuid.NewString(),
	}
	return h
}

func (h *hostileWorld) expand(s string) string {
	for k, v := range h.vars {
		s = strings.ReplaceAll(s, "{{"+k+"}}", v)
	}
	return s
}

// body builds the case's request body.
func (h *hostileWorld) body(t *testing.T, c hostileCase) io.Reader {
	t.Helper()
	g := c.Gen
	if g == nil {
		return strings.NewReader(h.expand(c.Body))
	}
	switch {
	case g.GzipZeros > 0:
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zeros := make([]byte, 1<<20)
		for left := g.GzipZeros; left > 0; left -= int64(len(zeros)) {
			_, _ = zw.Write(zeros[:min(left, int64(len(zeros)))])
		}
		_ = zw.Close()
		return &buf
	case g.Times > 0:
		return io.MultiReader(strings.NewReader(g.Prefix),
			&repeatReader{unit: []byte(g.Repeat), left: int64(g.Times) * int64(len(g.Repeat))},
			strings.NewReader(g.Suffix))
	case g.Pkt != nil:
		var buf bytes.Buffer
		for _, line := range g.Pkt {
			if line == "0000" {
				buf.WriteString("0000")
				continue
			}
			if raw, ok := strings.CutPrefix(line, "raw:"); ok { // unframed bytes: a pack
				buf.WriteString(raw)
				continue
			}
			line = h.expand(strings.ReplaceAll(line, `\0`, "\x00")) + "\n"
			fmt.Fprintf(&buf, "%04x%s", len(line)+4, line)
		}
		return &buf
	case g.Frame != nil:
		var buf bytes.Buffer
		payload := h.expand(g.Frame.Payload)
		length := g.Frame.Length
		if length == 0 {
			length = uint32(len(payload))
		}
		buf.WriteByte(g.Frame.Flags)
		_ = binary.Write(&buf, binary.BigEndian, length)
		buf.WriteString(payload)
		return &buf
	}
	t.Fatalf("case %s: empty gen", c.Name)
	return nil
}

// repeatReader yields unit again and again, left bytes in all, without
// holding them.
type repeatReader struct {
	unit []byte
	left int64
	off  int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && r.left > 0 {
		c := copy(p[n:min(len(p), n+int(min(r.left, int64(len(r.unit)-r.off))))], r.unit[r.off:])
		n += c
		r.off = (r.off + c) % len(r.unit)
		r.left -= int64(c)
	}
	return n, nil
}

func (h *hostileWorld) authorize(req *http.Request, as string) {
	switch as {
	case "", "anonymous":
	case "agent":
		req.Header.Set("Authorization", "Bearer "+h.credential)
	default:
		token, ok := h.tokens[as]
		if !ok {
			panic("unknown principal " + as)
		}
		req.Header.Set("Authorization", "Bearer "+token)
	}
}

func (h *hostileWorld) request(t *testing.T, c hostileCase) {
	method := c.Method
	if method == "" {
		method = http.MethodGet
	}
	req, err := http.NewRequestWithContext(t.Context(), method, h.srv.URL+h.expand(c.Path), h.body(t, c))
	if err != nil {
		t.Fatalf("building the request: %v", err)
	}
	for k, v := range c.Header {
		req.Header.Set(k, h.expand(v))
	}
	h.authorize(req, c.As)
	client := &http.Client{
		Timeout:       2 * time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	res, err := client.Do(req)
	if err != nil {
		// The server may hang up on a body it refuses before reading it:
		// acceptable only when the case expects a refusal of the body.
		if c.Expect.Status == http.StatusRequestEntityTooLarge {
			return
		}
		t.Fatalf("%s %s: %v", method, c.Path, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	answer := string(body) + "\n" + res.Header.Get("Grpc-Message")
	if want := c.Expect.Status; want != 0 && res.StatusCode != want {
		t.Errorf("status %d, want %d; body %.300q", res.StatusCode, want, body)
	}
	if res.StatusCode >= 500 {
		t.Errorf("server error %d: %.300q", res.StatusCode, body)
	}
	if want := c.Expect.Code; want != "" {
		var e struct {
			Code string `json:"code"`
		}
		if err := json.Unmarshal(body, &e); err != nil || e.Code != want {
			t.Errorf("error code %q, want %q; body %.300q", e.Code, want, body)
		}
	}
	if want := c.Expect.GRPCStatus; want != "" {
		got := res.Header.Get("Grpc-Status") // a trailers-only answer
		if got == "" {
			got = res.Trailer.Get("Grpc-Status") // gRPC
		}
		if got == "" {
			got = trailerStatus(body) // gRPC-Web
		}
		if got != want {
			t.Errorf("grpc-status %q, want %q; body %.300q", got, want, body)
		}
	}
	h.checkAnswer(t, c, answer)
}

// trailerStatus finds grpc-status in a gRPC-Web body's trailer frame.
func trailerStatus(body []byte) string {
	for len(body) >= 5 {
		n := int(binary.BigEndian.Uint32(body[1:5]))
		if 5+n > len(body) {
			return ""
		}
		if body[0]&0x80 != 0 {
			for line := range strings.SplitSeq(string(body[5:5+n]), "\r\n") {
				if v, ok := strings.CutPrefix(strings.ToLower(line), "grpc-status:"); ok {
					return strings.TrimSpace(v)
				}
			}
		}
		body = body[5+n:]
	}
	return ""
}

func (h *hostileWorld) checkAnswer(t *testing.T, c hostileCase, answer string) {
	t.Helper()
	for _, s := range c.Expect.Contains {
		if !strings.Contains(answer, h.expand(s)) {
			t.Errorf("the answer does not say %q: %.300q", s, answer)
		}
	}
	for _, s := range append(append([]string(nil), hostileLeaks...), c.Expect.Absent...) {
		if strings.Contains(answer, s) {
			t.Errorf("the answer leaks %q: %.300q", s, answer)
		}
	}
	for _, secret := range h.tokens {
		if strings.Contains(answer, secret) {
			t.Errorf("the answer holds a token: %.300q", answer)
		}
	}
}

func (h *hostileWorld) upload(t *testing.T, c hostileCase) {
	u := c.Upload
	protocols := new(http.Protocols)
	protocols.SetUnencryptedHTTP2(true)
	var opts []connect.ClientOption
	if c.As != "anonymous" {
		opts = append(opts, servertest.BearerOption(h.credential))
	}
	client := agentv1connect.NewAgentServiceClient(&http.Client{Transport: &http.Transport{Protocols: protocols}}, h.srv.URL, opts...)
	stream, err := client.UploadArtifact(t.Context())
	if err != nil {
		t.Fatalf("opening the upload: %v", err)
	}
	job := u.Job
	switch job {
	case "job":
		job = h.vars["job"]
	case "random":
		job = uuid.NewString()
	}
	header := &agentv1.UploadArtifactRequest{Msg: &agentv1.UploadArtifactRequest_Header{
		Header: &agentv1.ArtifactHeader{JobId: job, Name: u.Name},
	}}
	data := &agentv1.UploadArtifactRequest{Msg: &agentv1.UploadArtifactRequest_Data{Data: []byte("not a tar.gz")}}
	msgs := []*agentv1.UploadArtifactRequest{header, data}
	switch {
	case u.NoHeader:
		msgs = []*agentv1.UploadArtifactRequest{data, header}
	case u.Headers:
		msgs = []*agentv1.UploadArtifactRequest{header, header, data}
	}
	for _, m := range msgs {
		if err := stream.Send(m); err != nil {
			break // the server answered early; CloseAndReceive has it
		}
	}
	_, err = stream.CloseAndReceive()
	if err == nil {
		t.Fatalf("the upload was accepted")
	}
	code := connect.CodeOf(err).String()
	if want := c.Expect.Code; want != "" && code != want {
		t.Errorf("code %s, want %s (%v)", code, want, err)
	}
	var ce *connect.Error
	msg := err.Error()
	if errors.As(err, &ce) {
		msg = ce.Message()
	}
	h.checkAnswer(t, c, msg)
}

func (h *hostileWorld) pipeline(t *testing.T, c hostileCase) {
	branch := "hostile-" + strconv.Itoa(len(h.vars))
	h.vars[branch] = branch // a fresh branch name per case
	sha := h.push(t, branch, map[string]string{".hearth.yml": *c.Pipeline})
	p := h.waitPipeline(t, time.Minute, func(p *hearthv1.Pipeline) bool { return p.GetCommitSha() == sha })
	if p.GetState() != hearthv1.PipelineState_PIPELINE_STATE_FAILURE || len(p.GetJobs()) != 0 {
		t.Fatalf("pipeline %s with %d jobs, want a failed pipeline without jobs", state(p.GetState()), len(p.GetJobs()))
	}
	if len(p.GetError()) > 4096 {
		t.Errorf("error of %d bytes", len(p.GetError()))
	}
	h.checkAnswer(t, c, p.GetError())
}

// checkUnharmed: after the corpus the server is ready and holds no user or
// project named by a hostile case.
func (h *hostileWorld) checkUnharmed(t *testing.T) {
	t.Helper()
	res, err := http.Get(h.srv.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("/readyz %d after the corpus", res.StatusCode)
	}
	ctx := t.Context()
	projects := hearthv1connect.NewProjectServiceClient(http.DefaultClient, h.srv.URL, servertest.BearerOption(h.admin))
	list, err := projects.ListProjects(ctx, &hearthv1.ListProjectsRequest{PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range list.GetProjects() {
		if p.GetName() != h.project && p.GetName() != "open" && p.GetName() != "scratch" {
			t.Errorf("a hostile case created project %s/%s", p.GetOwner(), p.GetName())
		}
	}
	users := hearthv1connect.NewUserServiceClient(http.DefaultClient, h.srv.URL, servertest.BearerOption(h.admin))
	ul, err := users.ListUsers(ctx, &hearthv1.ListUsersRequest{PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range ul.GetUsers() {
		if u.GetUsername() != servertest.AdminUsername && u.GetUsername() != "mallory" {
			t.Errorf("a hostile case created user %q", u.GetUsername())
		}
	}
}
