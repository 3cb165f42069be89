// Package notify owns notifications: it turns the events every feature
// publishes (package event) into in-app notifications, emails and webhook
// deliveries.
//
// A producer hands its event to Outbox.Publish in the transaction of its
// change: the event is an outbox row that exists exactly when the change
// does. The fan-out worker (fanout.go) takes outbox rows with SKIP LOCKED
// on any replica, decides who receives each event — its explicit
// recipients, the participants of its thread and the project's watchers,
// less whoever muted the project or the thread, the actor, and anyone who
// may no longer read the project — and, in one transaction, writes their
// notifications (each marked for email when a mailer is configured),
// queues a delivery for every matching webhook and deletes the outbox
// row. Workers are woken by NOTIFY hearth_notify, not by polling.
//
// Channels:
//   - in-app: the notification list with an unread count, streamed live
//     (WatchNotifications) through the platform's pub/sub;
//   - email (email.go): pending notifications of a user are sent as one
//     message once due (a burst within the coalescing window is one
//     email), at most one email per user per interval;
//   - webhooks (webhooks.go, package webhook for the SSRF-safe sender): a
//     durable queue in webhook_deliveries with exponential backoff and a
//     retry limit; a webhook whose deliveries keep failing is disabled and
//     its owner notified.
package notify
