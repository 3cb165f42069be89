package observe_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hearth-dev/hearth/controlplane/internal/config"
	"github.com/hearth-dev/hearth/controlplane/servertest"
	"github.com/hearth-dev/hearth/controlplane/testsvc"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

func (w *world) sendLogs(t *testing.T, bodies ...string) {
	t.Helper()
	pb, err := proto.Marshal(logsRequest("api", time.Now(), bodies...))
	if err != nil {
		t.Fatal(err)
	}
	if code, body := postOTLP(t, w.srv.URL+"/v1/logs", w.appWriter, "application/x-protobuf", pb, false); code != http.StatusOK {
		t.Fatalf("export: %d %s", code, body)
	}
}

func (w *world) alertState(t *testing.T, name string) *hearthv1.AlertState {
	t.Helper()
	res, err := w.reads.ListAlertRules(t.Context(), &hearthv1.ListAlertRulesRequest{Owner: "admin", Name: "app"})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res.GetRules() {
		if r.GetName() == name {
			return r.GetState()
		}
	}
	t.Fatalf("no rule %s", name)
	return nil
}

// notificationTypes are the admin's notifications' types and titles.
func (w *world) notificationTypes(t *testing.T) []string {
	t.Helper()
	res, err := hearthv1connect.NewNotificationServiceClient(http.DefaultClient, w.srv.URL, servertest.BearerOption(w.admin)).
		ListNotifications(t.Context(), &hearthv1.ListNotificationsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range res.GetNotifications() {
		out = append(out, fmt.Sprintf("%s %s ×%d", n.GetType(), n.GetSubject(), n.GetCount()))
	}
	return out
}

// TestAlerts: a log rule goes inactive → firing once enough matching
// records arrived, notifies its creator once however often it is
// evaluated, and resolves (notified again) once they leave its window; a
// silenced rule fires without notifying; rules are validated.
func TestAlerts(t *testing.T) {
	w := newWorld(t, servertest.WithConfig(func(c *config.Config) { c.Observe.AlertInterval = 200 * time.Millisecond }))
	rule := func(name string, labels map[string]string) *hearthv1.AlertRule {
		return &hearthv1.AlertRule{
			Name: name, Signal: "logs", Logs: &hearthv1.LogMatch{Contains: "boom", Services: []string{"api"}}, Comparator: ">=", Threshold: 3,
			Window: durationpb.New(10 * time.Second), Labels: labels,
		}
	}
	for _, r := range []*hearthv1.AlertRule{rule("errors", nil), rule("quiet", map[string]string{"team": "night"})} {
		if _, err := w.reads.CreateAlertRule(t.Context(), &hearthv1.CreateAlertRuleRequest{Owner: "admin", Name: "app", Rule: r}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.reads.CreateSilence(t.Context(), &hearthv1.CreateSilenceRequest{Owner: "admin", Name: "app", Silence: &hearthv1.Silence{
		Matchers: map[string]string{"team": "night"}, EndTime: timestamppb.New(time.Now().Add(time.Hour)),
	}}); err != nil {
		t.Fatal(err)
	}
	bad := rule("errors", nil)
	if _, err := w.reads.CreateAlertRule(t.Context(), &hearthv1.CreateAlertRuleRequest{Owner: "admin", Name: "app", Rule: bad}); connect.CodeOf(err) != connect.CodeAlreadyExists {
		t.Fatalf("a second rule of the same name: %v", err)
	}
	bad = rule("bad", nil)
	bad.Comparator = "=="
	if _, err := w.reads.CreateAlertRule(t.Context(), &hearthv1.CreateAlertRuleRequest{Owner: "admin", Name: "app", Rule: bad}); connect.CodeOf(err) != connect.CodeInvalidArgument {
		t.Fatalf("a bad comparator: %v", err)
	}

	testsvc.WaitFor(t, "the rules evaluated", func() bool { return w.alertState(t, "errors").GetEvaluateTime() != nil })
	if st := w.alertState(t, "errors").GetState(); st != "inactive" {
		t.Fatalf("before any log: %s", st)
	}
	w.sendLogs(t, "boom 1", "boom 2", "fine")
	w.sendLogs(t, "boom 3")
	testsvc.WaitFor(t, "the alert firing", func() bool { return w.alertState(t, "errors").GetState() == "firing" })
	if st := w.alertState(t, "quiet"); st.GetState() != "firing" || !st.GetSilenced() {
		t.Fatalf("the silenced rule: %v", st)
	}
	if st := w.alertState(t, "errors"); st.GetValue() != 3 || st.GetSilenced() {
		t.Fatalf("the firing rule: %v", st)
	}
	testsvc.WaitFor(t, "the firing notification", func() bool { return slices.Contains(w.notificationTypes(t), "alert.fired alert errors ×1") })
	// Many evaluations later it has still notified once, and the
	// silenced rule never.
	seen := w.alertState(t, "errors").GetEvaluateTime().AsTime()
	testsvc.WaitFor(t, "more evaluations", func() bool { return w.alertState(t, "errors").GetEvaluateTime().AsTime().After(seen.Add(time.Second)) })
	if got := w.notificationTypes(t); fmt.Sprint(got) != "[alert.fired alert errors ×1]" {
		t.Fatalf("notifications after repeated evaluations: %q", got)
	}
	// The records leave the 10s window: resolved, and told.
	testsvc.WaitFor(t, "the alert resolved", func() bool { return w.alertState(t, "errors").GetState() == "inactive" })
	testsvc.WaitFor(t, "the resolved notification", func() bool { return slices.Contains(w.notificationTypes(t), "alert.resolved alert errors ×1") })
	if got := w.notificationTypes(t); fmt.Sprint(got) != "[alert.resolved alert errors ×1 alert.fired alert errors ×1]" {
		t.Fatalf("notifications: %q", got)
	}
}
