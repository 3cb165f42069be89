package e2e

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/hearth-dev/hearth/controlplane/servertest"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// mailbox is an SMTP server in the test's process, on loopback, keeping
// what it receives.
type mailbox struct {
	addr string
	mu   sync.Mutex
	got  []received
}

type received struct {
	from string
	to   []string
	data []byte
}

func newMailbox(t *testing.T) *mailbox {
	t.Helper()
	mb := &mailbox{}
	srv := smtp.NewServer(mb)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mb.addr = l.Addr().String()
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return mb
}

func (mb *mailbox) NewSession(*smtp.Conn) (smtp.Session, error) { return &mailSession{mb: mb}, nil }

func (mb *mailbox) messages() []received {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return append([]received(nil), mb.got...)
}

type mailSession struct {
	mb  *mailbox
	cur received
}

func (s *mailSession) Mail(from string, _ *smtp.MailOptions) error { s.cur.from = from; return nil }
func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.to = append(s.cur.to, to)
	return nil
}

func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = b
	s.mb.mu.Lock()
	s.mb.got = append(s.mb.got, s.cur)
	s.mb.mu.Unlock()
	s.cur = received{}
	return nil
}

func (s *mailSession) Reset()        { s.cur = received{} }
func (s *mailSession) Logout() error { return nil }

// textPart is the text/plain part of a received message.
func textPart(t *testing.T, data []byte) (subject, text string) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			t.Fatalf("no text part: %v", err)
		}
		if strings.HasPrefix(p.Header.Get("Content-Type"), "text/plain") {
			b, err := io.ReadAll(p) // multipart decodes quoted-printable
			if err != nil {
				t.Fatal(err)
			}
			return subject, string(b)
		}
	}
}

// TestFailedPipelineEmailsThePusher: a failed pipeline sends one email to
// the user who pushed, through a real SMTP server, with a link to the
// pipeline; the pusher also has it in the app.
func TestFailedPipelineEmailsThePusher(t *testing.T) {
	mb := newMailbox(t)
	w := newWorld(t, servertest.SMTP(mb.addr))
	w.startAgent(t, 1)
	me, err := hearthv1connect.NewAuthServiceClient(http.DefaultClient, w.base, servertest.BearerOption(w.admin)).GetMe(t.Context(), &hearthv1.GetMeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	address := me.GetUser().GetEmail()
	if address == "" {
		t.Fatal("the pusher has no email address")
	}
	sha := w.push(t, "main", map[string]string{".hearth.yml": "jobs:\n  build:\n    steps: [\"exit 1\"]\n"})
	p := w.waitPipeline(t, time.Minute, func(p *hearthv1.Pipeline) bool { return p.GetCommitSha() == sha && finished(p) })
	if p.GetState() != hearthv1.PipelineState_PIPELINE_STATE_FAILURE {
		t.Fatalf("pipeline %s", state(p.GetState()))
	}
	waitFor(t, 30*time.Second, "the email", func() bool { return len(mb.messages()) > 0 })
	notes := hearthv1connect.NewNotificationServiceClient(http.DefaultClient, w.base, servertest.BearerOption(w.admin))
	list, err := notes.ListNotifications(t.Context(), &hearthv1.ListNotificationsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.GetNotifications()) != 1 || list.GetNotifications()[0].GetType() != "pipeline.failed" || list.GetUnreadCount() != 1 {
		t.Fatalf("in-app: %v", list)
	}
	msgs := mb.messages()
	if len(msgs) != 1 {
		t.Fatalf("%d emails, want 1", len(msgs))
	}
	if len(msgs[0].to) != 1 || msgs[0].to[0] != address || msgs[0].from != "hearth@example.test" {
		t.Fatalf("envelope from %q to %v", msgs[0].from, msgs[0].to)
	}
	subject, text := textPart(t, msgs[0].data)
	link := w.base + "/" + w.owner + "/" + w.project + "/-/pipelines/" + p.GetId()
	if !strings.Contains(subject, "failed") || !strings.Contains(text, link) {
		t.Fatalf("subject %q, text:\n%s\nwant the link %s", subject, text, link)
	}
	if _, err := notes.MarkNotificationsRead(t.Context(), &hearthv1.MarkNotificationsReadRequest{}); err != nil {
		t.Fatal(err)
	}
	if list, _ := notes.ListNotifications(t.Context(), &hearthv1.ListNotificationsRequest{UnreadOnly: true}); len(list.GetNotifications()) != 0 || list.GetUnreadCount() != 0 {
		t.Fatalf("after mark read: %v", list)
	}
}

// receiver is a webhook receiver on loopback that fails its first
// failures requests, then succeeds, checking every signature.
type receiver struct {
	t        *testing.T
	secret   []byte
	failures int
	srv      *httptest.Server
	mu       sync.Mutex
	requests []webhookRequest
}

type webhookRequest struct {
	delivery, event string
	payload         map[string]any
	signed          bool
	status          int
}

func newReceiver(t *testing.T, secret string, failures int) *receiver {
	r := &receiver{t: t, secret: []byte(secret), failures: failures}
	r.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		wr := webhookRequest{
			delivery: req.Header.Get("X-Hearth-Delivery"), event: req.Header.Get("X-Hearth-Event"),
			signed: verifySignature(r.secret, body, req.Header.Get("X-Hearth-Signature")), status: http.StatusOK,
		}
		_ = json.Unmarshal(body, &wr.payload)
		r.mu.Lock()
		if len(r.requests) < r.failures {
			wr.status = http.StatusInternalServerError
		}
		r.requests = append(r.requests, wr)
		r.mu.Unlock()
		rw.WriteHeader(wr.status)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) got() []webhookRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]webhookRequest(nil), r.requests...)
}

func webhookWorld(t *testing.T, allowLoopback bool) *world {
	return newWorld(t, servertest.Webhooks(50*time.Millisecond, 6, 2, allowLoopback))
}

// verifySignature checks X-Hearth-Signature as a receiver would:
// sha256=<hex HMAC-SHA256 of the body>.
func verifySignature(secret, body []byte, header string) bool {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return hmac.Equal([]byte(header), []byte("sha256="+hex.EncodeToString(mac.Sum(nil))))
}

func (w *world) issue(t *testing.T, title string) {
	t.Helper()
	if _, err := hearthv1connect.NewIssueServiceClient(http.DefaultClient, w.base, servertest.BearerOption(w.admin)).CreateIssue(t.Context(),
		&hearthv1.CreateIssueRequest{Owner: w.owner, Name: w.project, Title: title}); err != nil {
		t.Fatal(err)
	}
}

// TestWebhookRetriesUntilDelivered: a receiver that fails three times
// gets every event in the end, signed, each delivered once; the delivery
// log shows the attempts; a redelivery is a new delivery.
func TestWebhookRetriesUntilDelivered(t *testing.T) {
	w := webhookWorld(t, true)
	const secret = "a-webhook-signing-secret"
	r := newReceiver(t, secret, 3)
	hooks := hearthv1connect.NewWebhookServiceClient(http.DefaultClient, w.base, servertest.BearerOption(w.admin))
	hook, err := hooks.CreateWebhook(t.Context(), &hearthv1.CreateWebhookRequest{
		Owner: w.owner, Name: w.project, Url: r.srv.URL + "/hook?token=x", Events: []string{"issue.created"}, Secret: secret,
	})
	if err != nil || hook.GetSecret() != secret {
		t.Fatalf("create: %v %v", hook, err)
	}
	const events = 3
	for i := range events {
		w.issue(t, "issue "+strconv.Itoa(i))
	}
	waitFor(t, time.Minute, "every event delivered", func() bool {
		ok := map[string]bool{}
		for _, q := range r.got() {
			if q.status == http.StatusOK {
				ok[q.delivery] = true
			}
		}
		return len(ok) == events
	})
	byDelivery := map[string]int{}
	for _, q := range r.got() {
		if !q.signed || q.event != "issue.created" || q.payload["schema"] != "hearth.event.v1" || q.payload["type"] != "issue.created" {
			t.Fatalf("request %+v", q)
		}
		byDelivery[q.delivery]++
	}
	if len(r.got()) != events+3 || len(byDelivery) != events {
		t.Fatalf("%d requests for %d deliveries: %v", len(r.got()), len(byDelivery), byDelivery)
	}
	log, err := hooks.ListWebhookDeliveries(t.Context(), &hearthv1.ListWebhookDeliveriesRequest{Owner: w.owner, Name: w.project, Id: hook.GetWebhook().GetId()})
	if err != nil || len(log.GetDeliveries()) != events {
		t.Fatalf("log: %v %v", log, err)
	}
	attempts := 0
	for _, d := range log.GetDeliveries() {
		if d.GetState() != "succeeded" || d.GetLastStatus() != 200 || d.GetLastDuration().AsDuration() <= 0 {
			t.Fatalf("delivery %v", d)
		}
		attempts += int(d.GetAttempts())
	}
	if attempts != events+3 {
		t.Fatalf("%d attempts recorded", attempts)
	}
	first := log.GetDeliveries()[0]
	again, err := hooks.RedeliverWebhook(t.Context(), &hearthv1.RedeliverWebhookRequest{
		Owner: w.owner, Name: w.project, Id: hook.GetWebhook().GetId(), DeliveryId: first.GetId(),
	})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the redelivery", func() bool {
		for _, q := range r.got() {
			if q.delivery == again.GetDeliveryId() && q.status == http.StatusOK {
				return true
			}
		}
		return false
	})
}

// TestWebhookDisabledAfterRepeatedFailure: a receiver that always fails
// gets its webhook disabled after two deliveries failed for good, and the
// webhook's owner is told in the app.
func TestWebhookDisabledAfterRepeatedFailure(t *testing.T) {
	w := webhookWorld(t, true)
	r := newReceiver(t, "another-signing-secret", 1<<30)
	hooks := hearthv1connect.NewWebhookServiceClient(http.DefaultClient, w.base, servertest.BearerOption(w.admin))
	hook, err := hooks.CreateWebhook(t.Context(), &hearthv1.CreateWebhookRequest{Owner: w.owner, Name: w.project, Url: r.srv.URL, Secret: "another-signing-secret"})
	if err != nil {
		t.Fatal(err)
	}
	w.issue(t, "one")
	w.issue(t, "two")
	waitFor(t, time.Minute, "the webhook disabled", func() bool {
		list, err := hooks.ListWebhooks(t.Context(), &hearthv1.ListWebhooksRequest{Owner: w.owner, Name: w.project})
		return err == nil && len(list.GetWebhooks()) == 1 && !list.GetWebhooks()[0].GetActive()
	})
	notes := hearthv1connect.NewNotificationServiceClient(http.DefaultClient, w.base, servertest.BearerOption(w.admin))
	waitFor(t, 30*time.Second, "the owner told", func() bool {
		list, err := notes.ListNotifications(t.Context(), &hearthv1.ListNotificationsRequest{})
		if err != nil {
			return false
		}
		for _, n := range list.GetNotifications() {
			if n.GetType() == "webhook.disabled" {
				if want := "/" + w.owner + "/" + w.project + "/-/settings/webhooks/" + hook.GetWebhook().GetId(); n.GetPath() != want {
					t.Errorf("path %q, want %q", n.GetPath(), want)
				}
				return true
			}
		}
		return false
	})
	if got := len(r.got()); got != 2*6 {
		t.Fatalf("%d requests, want 2 deliveries × 6 attempts", got)
	}
	// Turned on again, it delivers new events (the receiver still fails,
	// but it is tried).
	if _, err := hooks.SetWebhookActive(t.Context(), &hearthv1.SetWebhookActiveRequest{Owner: w.owner, Name: w.project, Id: hook.GetWebhook().GetId(), Active: true}); err != nil {
		t.Fatal(err)
	}
	w.issue(t, "three")
	waitFor(t, 30*time.Second, "a delivery after turning it on", func() bool { return len(r.got()) > 12 })
}

// TestWebhookToLoopbackRefused: without an allowlist, a webhook to a
// loopback receiver is never called; its delivery fails at once as
// refused.
func TestWebhookToLoopbackRefused(t *testing.T) {
	w := webhookWorld(t, false)
	r := newReceiver(t, "yet-another-signing-secret", 0)
	hooks := hearthv1connect.NewWebhookServiceClient(http.DefaultClient, w.base, servertest.BearerOption(w.admin))
	hook, err := hooks.CreateWebhook(t.Context(), &hearthv1.CreateWebhookRequest{Owner: w.owner, Name: w.project, Url: r.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	w.issue(t, "refused")
	var d *hearthv1.WebhookDelivery
	waitFor(t, 30*time.Second, "the delivery to fail", func() bool {
		log, err := hooks.ListWebhookDeliveries(t.Context(), &hearthv1.ListWebhookDeliveriesRequest{Owner: w.owner, Name: w.project, Id: hook.GetWebhook().GetId()})
		if err != nil || len(log.GetDeliveries()) == 0 || log.GetDeliveries()[0].GetState() != "failed" {
			return false
		}
		d = log.GetDeliveries()[0]
		return true
	})
	if d.GetAttempts() != 1 || !strings.Contains(d.GetLastError(), "loopback") || len(r.got()) != 0 {
		t.Fatalf("delivery %v; the receiver got %d requests", d, len(r.got()))
	}
}
