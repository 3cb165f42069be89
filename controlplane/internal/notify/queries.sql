-- name: InsertOutbox :exec
INSERT INTO notify_outbox (id, event) VALUES (@id, @event);

-- name: ClaimOutbox :many
-- The oldest events no other worker holds.
SELECT id, event FROM notify_outbox ORDER BY id LIMIT @max_rows FOR UPDATE SKIP LOCKED;

-- name: DeleteOutbox :exec
DELETE FROM notify_outbox WHERE id = ANY (@ids::uuid[]);

-- name: ProjectSubscriptions :many
-- Every level set on a project or on one of its subjects.
SELECT user_id, subject, level FROM notify_subscriptions
WHERE project_id = @project_id AND (subject = '' OR subject = @subject);

-- name: JoinThread :exec
-- Participants join a thread unless they already chose a level for it.
INSERT INTO notify_subscriptions (user_id, project_id, subject, level)
SELECT unnest(@user_ids::uuid[]), @project_id, @subject, 'participate'
ON CONFLICT (user_id, project_id, subject) DO NOTHING;

-- name: SetSubscription :exec
INSERT INTO notify_subscriptions (user_id, project_id, subject, level)
VALUES (@user_id, @project_id, @subject, @level)
ON CONFLICT (user_id, project_id, subject) DO UPDATE SET level = EXCLUDED.level, updated_at = now();

-- name: DeleteSubscription :exec
DELETE FROM notify_subscriptions WHERE user_id = @user_id AND project_id = @project_id AND subject = @subject;

-- name: ListSubscriptions :many
SELECT project_id, subject, level, updated_at FROM notify_subscriptions
WHERE user_id = @user_id ORDER BY project_id, subject;

-- name: InsertNotifications :batchexec
-- A burst on one thread coalesces: while the user has not read the
-- thread's notification of this type, a new event updates it (a new id,
-- so live streams see it as new, and one more in its count) rather than
-- adding another. A pending email stays due when it was.
INSERT INTO notifications (id, user_id, event_id, type, project_id, subject, title, path, actor_name, reason, email_state, email_due)
VALUES (@id, @user_id, @event_id, @type, sqlc.narg(project_id), @subject, @title, @path, @actor_name, @reason, @email_state, sqlc.narg(email_due))
ON CONFLICT (user_id, project_id, subject, type) WHERE read_at IS NULL AND subject <> '' AND project_id IS NOT NULL
DO UPDATE SET id = EXCLUDED.id, event_id = EXCLUDED.event_id, title = EXCLUDED.title, path = EXCLUDED.path,
    actor_name = EXCLUDED.actor_name, reason = EXCLUDED.reason, count = notifications.count + 1, created_at = now(),
    email_state = CASE WHEN notifications.email_state = 'pending' THEN 'pending' ELSE EXCLUDED.email_state END,
    email_due = COALESCE(CASE WHEN notifications.email_state = 'pending' THEN notifications.email_due END, EXCLUDED.email_due);

-- name: ListNotifications :many
SELECT * FROM notifications
WHERE user_id = @user_id
  AND (NOT @unread_only::boolean OR read_at IS NULL)
  AND (sqlc.narg(before)::uuid IS NULL OR id < sqlc.narg(before)::uuid)
  AND (sqlc.narg(after)::uuid IS NULL OR id > sqlc.narg(after)::uuid)
ORDER BY id DESC
LIMIT @max_rows;

-- name: UnreadCount :one
SELECT count(*) FROM notifications WHERE user_id = @user_id AND read_at IS NULL;

-- name: MarkRead :execrows
UPDATE notifications SET read_at = now()
WHERE user_id = @user_id AND read_at IS NULL AND (cardinality(@ids::uuid[]) = 0 OR id = ANY (@ids::uuid[]));

-- name: DueEmailUsers :many
SELECT DISTINCT user_id FROM notifications
WHERE email_state = 'pending' AND email_due <= @now
LIMIT @max_rows;

-- name: LockUserEmail :one
-- Serialises one user's email: whoever holds it sends.
INSERT INTO notify_email_sent (user_id, sent_at) VALUES (@user_id, 'epoch')
ON CONFLICT (user_id) DO UPDATE SET user_id = EXCLUDED.user_id
RETURNING sent_at;

-- name: PendingEmails :many
SELECT * FROM notifications
WHERE user_id = @user_id AND email_state = 'pending'
ORDER BY id LIMIT @max_rows;

-- name: SetEmailState :exec
UPDATE notifications SET email_state = @email_state WHERE id = ANY (@ids::uuid[]);

-- name: RecordEmailSent :exec
UPDATE notify_email_sent SET sent_at = @sent_at WHERE user_id = @user_id;

-- name: NextEmailDue :one
SELECT COALESCE(min(email_due), now() + interval '1 day')::timestamptz FROM notifications WHERE email_state = 'pending';

-- name: InsertWebhook :one
INSERT INTO webhooks (id, project_id, url, secret_sealed, events, created_by, created_by_name)
VALUES (@id, sqlc.narg(project_id), @url, @secret_sealed, @events, sqlc.narg(created_by), @created_by_name)
RETURNING *;

-- name: GetWebhook :one
SELECT * FROM webhooks WHERE id = @id;

-- name: ListWebhooks :many
SELECT * FROM webhooks WHERE project_id IS NOT DISTINCT FROM sqlc.narg(project_id)::uuid ORDER BY created_at, id;

-- name: DeleteWebhook :execrows
DELETE FROM webhooks WHERE id = @id;

-- name: SetWebhookActive :one
UPDATE webhooks SET active = @active, disabled_reason = @disabled_reason,
    consecutive_failures = CASE WHEN @active::boolean THEN 0 ELSE consecutive_failures END, updated_at = now()
WHERE id = @id RETURNING *;

-- name: WebhooksFor :many
-- The active webhooks an event of a project (NULL: installation) goes to.
SELECT id FROM webhooks
WHERE active AND (project_id IS NULL OR project_id = sqlc.narg(project_id)::uuid)
  AND (cardinality(events) = 0 OR @type::text = ANY (events));

-- name: InsertDelivery :exec
INSERT INTO webhook_deliveries (id, webhook_id, event_id, event_type, payload, redelivery_of)
VALUES (@id, @webhook_id, @event_id, @event_type, @payload, sqlc.narg(redelivery_of));

-- name: ClaimDeliveries :many
SELECT d.id, d.webhook_id, d.event_type, d.payload, d.attempts, w.url, w.secret_sealed, w.active
FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
WHERE d.state = 'pending' AND d.next_attempt_at <= @now
ORDER BY d.next_attempt_at, d.id
LIMIT @max_rows
FOR UPDATE OF d SKIP LOCKED;

-- name: RecordAttempt :exec
UPDATE webhook_deliveries SET state = @state, attempts = attempts + 1, next_attempt_at = @next_attempt_at,
    last_status = @last_status, last_duration_us = @last_duration_us, last_error = @last_error,
    finished_at = CASE WHEN @state::text = 'pending' THEN NULL ELSE now() END
WHERE id = @id;

-- name: WebhookSucceeded :exec
UPDATE webhooks SET consecutive_failures = 0 WHERE id = @id AND consecutive_failures <> 0;

-- name: WebhookFailed :one
UPDATE webhooks SET consecutive_failures = consecutive_failures + 1 WHERE id = @id
RETURNING consecutive_failures, active, project_id, created_by, url;

-- name: DisableWebhook :execrows
UPDATE webhooks SET active = false, disabled_reason = @reason, updated_at = now() WHERE id = @id AND active;

-- name: NextDeliveryDue :one
SELECT COALESCE(min(next_attempt_at), now() + interval '1 day')::timestamptz FROM webhook_deliveries WHERE state = 'pending';

-- name: ListDeliveries :many
SELECT id, webhook_id, event_id, event_type, state, attempts, next_attempt_at, last_status, last_duration_us,
       last_error, redelivery_of, created_at, finished_at
FROM webhook_deliveries WHERE webhook_id = @webhook_id
  AND (sqlc.narg(before)::uuid IS NULL OR id < sqlc.narg(before)::uuid)
ORDER BY id DESC LIMIT @max_rows;

-- name: GetDelivery :one
SELECT * FROM webhook_deliveries WHERE id = @id AND webhook_id = @webhook_id;

-- name: PostponeEmails :exec
UPDATE notifications SET email_due = @email_due WHERE id = ANY (@ids::uuid[]) AND email_state = 'pending';

-- name: PostponeDelivery :exec
-- The webhook's rate limit: try later, without counting an attempt.
UPDATE webhook_deliveries SET next_attempt_at = @next_attempt_at WHERE id = @id AND state = 'pending';
