package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

func notificationCommands() map[string]subcommand {
	return map[string]subcommand{
		"list":      {"your notifications, newest first (the default): [--unread] [--limit 20]", notificationList},
		"mark-read": {"mark all your notifications read, or the given ids: [ID ...]", notificationMarkRead},
	}
}

// runNotifications is `hearth notifications [list|mark-read]`; bare, or
// with only flags, it lists.
func runNotifications(ctx context.Context, args []string, std stdio) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		args = append([]string{"list"}, args...)
	}
	return runGroup(ctx, "notifications", notificationCommands(), args, std)
}

func notificationClient(s *session) hearthv1connect.NotificationServiceClient {
	return hearthv1connect.NewNotificationServiceClient(s.http, s.server, s.options()...)
}

func notificationList(ctx context.Context, fs *flag.FlagSet, args []string, std stdio) int {
	unread := fs.Bool("unread", false, "only unread ones")
	limit := fs.Int("limit", 20, "how many (1-200)")
	if code, done := parseFlags(fs, args, std, "hearth notifications [list] [--unread] [--limit N]"); done {
		return code
	}
	s, code := connectSession(std)
	if s == nil {
		return code
	}
	res, err := notificationClient(s).ListNotifications(ctx, &hearthv1.ListNotificationsRequest{UnreadOnly: *unread, PageSize: int32(min(max(*limit, 1), 200))})
	if err != nil {
		return fail(std.err, ExitFailure, errors.New(describe(err)))
	}
	var rows [][]string
	for _, n := range res.GetNotifications() {
		mark := " "
		if n.GetReadTime() == nil {
			mark = "*"
		}
		rows = append(rows, []string{mark, when(n.GetCreateTime()), n.GetType(), n.GetTitle(), n.GetPath()})
	}
	table(std.out, "\tWHEN\tTYPE\tTITLE\tPATH", rows)
	fmt.Fprintf(std.out, "%d unread\n", res.GetUnreadCount())
	return ExitOK
}

func notificationMarkRead(ctx context.Context, fs *flag.FlagSet, args []string, std stdio) int {
	if err := fs.Parse(args); err != nil {
		return fail(std.err, ExitUsage, err)
	}
	s, code := connectSession(std)
	if s == nil {
		return code
	}
	res, err := notificationClient(s).MarkNotificationsRead(ctx, &hearthv1.MarkNotificationsReadRequest{Ids: fs.Args()})
	if err != nil {
		return fail(std.err, ExitFailure, errors.New(describe(err)))
	}
	fmt.Fprintf(std.out, "marked %d read\n", res.GetMarked())
	return ExitOK
}

func webhookCommands() map[string]subcommand {
	return map[string]subcommand{
		"create":     {"register a webhook (its signing secret is printed once): URL [--project owner/name] [--events a,b] [--secret-from-stdin]", webhookCreate},
		"list":       {"list webhooks: [--project owner/name] (none: the installation's)", webhookList},
		"deliveries": {"a webhook's delivery log, newest first: ID [--project owner/name] [--limit 20]", webhookDeliveries},
		"redeliver":  {"send a delivery's payload again: ID DELIVERY_ID [--project owner/name]", webhookRedeliver},
		"delete":     {"delete a webhook and its log: ID [--project owner/name]", webhookDelete},
	}
}

func webhookClient(s *session) hearthv1connect.WebhookServiceClient {
	return hearthv1connect.NewWebhookServiceClient(s.http, s.server, s.options()...)
}

// webhookScope reads --project ("": installation-wide).
func webhookScope(project string) (string, string, error) {
	if project == "" {
		return "", "", nil
	}
	return splitProject(project)
}

func webhookCreate(ctx context.Context, fs *flag.FlagSet, args []string, std stdio) int {
	project := fs.String("project", "", "owner/name (none: installation-wide, administrators)")
	events := fs.String("events", "", "comma-separated event types (none: all)")
	secretIn := fs.Bool("secret-from-stdin", false, "read the signing secret from stdin (default: a random one)")
	url, code, done := parseWithID(fs, args, std, "hearth webhook create URL [--project owner/name] [--events pipeline.failed,...]")
	if done {
		return code
	}
	owner, name, err := webhookScope(*project)
	if err != nil {
		return fail(std.err, ExitUsage, err)
	}
	req := &hearthv1.CreateWebhookRequest{Owner: owner, Name: name, Url: url}
	if *events != "" {
		for e := range strings.SplitSeq(*events, ",") {
			req.Events = append(req.Events, strings.TrimSpace(e))
		}
	}
	if *secretIn {
		b, err := readSecretValue(std.in, "")
		if err != nil {
			return fail(std.err, ExitUsage, err)
		}
		req.Secret = strings.TrimSpace(string(b))
	}
	s, code := connectSession(std)
	if s == nil {
		return code
	}
	res, err := webhookClient(s).CreateWebhook(ctx, req)
	if err != nil {
		return fail(std.err, ExitFailure, errors.New(describe(err)))
	}
	fmt.Fprintf(std.out, "webhook %s\nsigning secret (shown once): %s\n", res.GetWebhook().GetId(), res.GetSecret())
	return ExitOK
}

func webhookList(ctx context.Context, fs *flag.FlagSet, args []string, std stdio) int {
	project := fs.String("project", "", "owner/name (none: installation-wide)")
	if code, done := parseFlags(fs, args, std, "hearth webhook list [--project owner/name]"); done {
		return code
	}
	owner, name, err := webhookScope(*project)
	if err != nil {
		return fail(std.err, ExitUsage, err)
	}
	s, code := connectSession(std)
	if s == nil {
		return code
	}
	res, err := webhookClient(s).ListWebhooks(ctx, &hearthv1.ListWebhooksRequest{Owner: owner, Name: name})
	if err != nil {
		return fail(std.err, ExitFailure, errors.New(describe(err)))
	}
	var rows [][]string
	for _, w := range res.GetWebhooks() {
		events := strings.Join(w.GetEvents(), ",")
		if events == "" {
			events = "all"
		}
		state := "active"
		if !w.GetActive() {
			state = "disabled: " + w.GetDisabledReason()
		}
		rows = append(rows, []string{w.GetId(), w.GetUrl(), events, state})
	}
	table(std.out, "ID\tURL\tEVENTS\tSTATE", rows)
	return ExitOK
}

func webhookDeliveries(ctx context.Context, fs *flag.FlagSet, args []string, std stdio) int {
	project := fs.String("project", "", "owner/name (none: installation-wide)")
	limit := fs.Int("limit", 20, "how many (1-200)")
	id, code, done := parseWithID(fs, args, std, "hearth webhook deliveries ID [--project owner/name]")
	if done {
		return code
	}
	owner, name, err := webhookScope(*project)
	if err != nil {
		return fail(std.err, ExitUsage, err)
	}
	s, code := connectSession(std)
	if s == nil {
		return code
	}
	res, err := webhookClient(s).ListWebhookDeliveries(ctx, &hearthv1.ListWebhookDeliveriesRequest{
		Owner: owner, Name: name, Id: id, PageSize: int32(min(max(*limit, 1), 200)),
	})
	if err != nil {
		return fail(std.err, ExitFailure, errors.New(describe(err)))
	}
	var rows [][]string
	for _, d := range res.GetDeliveries() {
		rows = append(rows, []string{
			d.GetId(), d.GetEventType(), d.GetState(), fmt.Sprint(d.GetAttempts()), fmt.Sprint(d.GetLastStatus()),
			d.GetLastDuration().AsDuration().String(), when(d.GetCreateTime()), d.GetLastError(),
		})
	}
	table(std.out, "DELIVERY\tEVENT\tSTATE\tATTEMPTS\tSTATUS\tTIME\tCREATED\tERROR", rows)
	return ExitOK
}

func webhookRedeliver(ctx context.Context, fs *flag.FlagSet, args []string, std stdio) int {
	project := fs.String("project", "", "owner/name (none: installation-wide)")
	if err := fs.Parse(args); err != nil {
		return fail(std.err, ExitUsage, err)
	}
	if fs.NArg() != 2 {
		return fail(std.err, ExitUsage, errors.New("usage: hearth webhook redeliver ID DELIVERY_ID [--project owner/name]"))
	}
	owner, name, err := webhookScope(*project)
	if err != nil {
		return fail(std.err, ExitUsage, err)
	}
	s, code := connectSession(std)
	if s == nil {
		return code
	}
	res, err := webhookClient(s).RedeliverWebhook(ctx, &hearthv1.RedeliverWebhookRequest{Owner: owner, Name: name, Id: fs.Arg(0), DeliveryId: fs.Arg(1)})
	if err != nil {
		return fail(std.err, ExitFailure, errors.New(describe(err)))
	}
	fmt.Fprintf(std.out, "queued delivery %s\n", res.GetDeliveryId())
	return ExitOK
}

func webhookDelete(ctx context.Context, fs *flag.FlagSet, args []string, std stdio) int {
	project := fs.String("project", "", "owner/name (none: installation-wide)")
	id, code, done := parseWithID(fs, args, std, "hearth webhook delete ID [--project owner/name]")
	if done {
		return code
	}
	owner, name, err := webhookScope(*project)
	if err != nil {
		return fail(std.err, ExitUsage, err)
	}
	s, code := connectSession(std)
	if s == nil {
		return code
	}
	if _, err := webhookClient(s).DeleteWebhook(ctx, &hearthv1.DeleteWebhookRequest{Owner: owner, Name: name, Id: id}); err != nil {
		return fail(std.err, ExitFailure, errors.New(describe(err)))
	}
	fmt.Fprintf(std.out, "deleted webhook %s\n", id)
	return ExitOK
}
