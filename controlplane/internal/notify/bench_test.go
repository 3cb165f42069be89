package notify_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/servertest"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// benchWorld is a real control plane with a public project.
type benchWorld struct {
	srv    *servertest.Server
	admin  string
	issues hearthv1connect.IssueServiceClient
	db     *pgx.Conn
}

func newBenchWorld(b *testing.B, opts ...servertest.Option) *benchWorld {
	b.Helper()
	srv := servertest.Start(b, opts...)
	w := &benchWorld{srv: srv, admin: srv.AdminToken(b)}
	if _, err := hearthv1connect.NewProjectServiceClient(http.DefaultClient, srv.URL, servertest.BearerOption(w.admin)).CreateProject(b.Context(),
		&hearthv1.CreateProjectRequest{Name: "app", Visibility: hearthv1.Visibility_VISIBILITY_PUBLIC}); err != nil {
		b.Fatal(err)
	}
	w.issues = hearthv1connect.NewIssueServiceClient(http.DefaultClient, srv.URL, servertest.BearerOption(w.admin))
	conn, err := pgx.Connect(b.Context(), srv.DatabaseURL)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = conn.Close(context.Background()) })
	w.db = conn
	return w
}

func (w *benchWorld) count(b *testing.B, sql string) int {
	b.Helper()
	var n int
	if err := w.db.QueryRow(b.Context(), sql).Scan(&n); err != nil {
		b.Fatal(err)
	}
	return n
}

func (w *benchWorld) issue(b *testing.B, i int) {
	b.Helper()
	if _, err := w.issues.CreateIssue(b.Context(), &hearthv1.CreateIssueRequest{Owner: "admin", Name: "app", Title: "issue " + strconv.Itoa(i)}); err != nil {
		b.Fatal(err)
	}
}

func waitUntil(b *testing.B, limit time.Duration, what string, cond func() bool) {
	b.Helper()
	deadline := time.After(limit)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline:
			b.Fatalf("timed out waiting for %s", what)
		case <-tick.C:
		}
	}
}

// BenchmarkFanOut: 10 events of a public project watched by 1,000 users
// make 10,000 notifications, each authorized by the real authorizer; the
// figure is the time from the first event to the last notification
// written. (Users and subscriptions are inserted directly: setting up
// 1,000 accounts through the API is not what is measured.)
func BenchmarkFanOut(b *testing.B) {
	w := newBenchWorld(b)
	const subscribers, events = 1000, 10
	var project uuid.UUID
	if err := w.db.QueryRow(b.Context(), `SELECT id FROM projects WHERE name = 'app'`).Scan(&project); err != nil {
		b.Fatal(err)
	}
	for i := range subscribers {
		id := uuid.New()
		if _, err := w.db.Exec(b.Context(), `INSERT INTO users (id, username, email, password_hash) VALUES ($1, $2, $3, 'none')`,
			id, fmt.Sprintf("watcher%d", i), fmt.Sprintf("watcher%d@example.test", i)); err != nil {
			b.Fatal(err)
		}
		if _, err := w.db.Exec(b.Context(), `INSERT INTO notify_subscriptions (user_id, project_id, subject, level) VALUES ($1, $2, '', 'watch')`, id, project); err != nil {
			b.Fatal(err)
		}
	}
	n := 0
	for b.Loop() {
		before := w.count(b, `SELECT count(*) FROM notifications`)
		start := time.Now()
		for range events {
			w.issue(b, n)
			n++
		}
		waitUntil(b, 5*time.Minute, "the notifications", func() bool {
			return w.count(b, `SELECT count(*) FROM notifications`) >= before+subscribers*events
		})
		b.ReportMetric(float64(subscribers*events)/time.Since(start).Seconds(), "notifications/s")
	}
}

// BenchmarkWebhookDeliveries: 1,000 events each delivered to a webhook
// receiver on loopback (allowlisted), signed, through the durable queue;
// the figure is deliveries per minute from the first event to the last
// receipt (events are created as fast as the API takes them).
func BenchmarkWebhookDeliveries(b *testing.B) {
	w := newBenchWorld(b, servertest.Webhooks(time.Second, 8, 5, true))
	var got atomic.Int64
	recv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) {
		got.Add(1)
		rw.WriteHeader(http.StatusNoContent)
	}))
	b.Cleanup(recv.Close)
	if _, err := hearthv1connect.NewWebhookServiceClient(http.DefaultClient, w.srv.URL, servertest.BearerOption(w.admin)).CreateWebhook(b.Context(),
		&hearthv1.CreateWebhookRequest{Owner: "admin", Name: "app", Url: recv.URL, Events: []string{"issue.created"}}); err != nil {
		b.Fatal(err)
	}
	const deliveries = 1000
	n := 0
	for b.Loop() {
		before := got.Load()
		start := time.Now()
		for range deliveries {
			w.issue(b, n)
			n++
		}
		created := time.Since(start)
		waitUntil(b, 10*time.Minute, "the deliveries", func() bool { return got.Load() >= before+deliveries })
		elapsed := time.Since(start)
		b.ReportMetric(deliveries/elapsed.Minutes(), "deliveries/min")
		b.ReportMetric(deliveries/created.Minutes(), "events/min")
	}
}
