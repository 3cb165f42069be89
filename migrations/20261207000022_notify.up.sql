-- Notifications (owned by controlplane/internal/notify): the outbox every
-- producer writes in its own transaction, in-app notifications (which
-- also queue their emails), subscriptions, webhooks and their deliveries.

-- One row per event, written with the change; the fan-out worker deletes
-- it once every recipient's notification and every webhook delivery is
-- recorded, in the same transaction.
CREATE TABLE notify_outbox (
    id         uuid PRIMARY KEY,            -- the event's id, v7
    event      jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE notifications (
    id          uuid PRIMARY KEY,           -- v7
    user_id     uuid NOT NULL,              -- a user (no FK: auth owns users)
    event_id    uuid NOT NULL,
    type        text NOT NULL CHECK (type ~ '^[a-z_]+(\.[a-z_]+)?$'),
    project_id  uuid REFERENCES projects (id) ON DELETE CASCADE,
    subject     text NOT NULL DEFAULT '' CHECK (length(subject) <= 200),
    title       text NOT NULL CHECK (length(title) <= 500),
    path        text NOT NULL DEFAULT '' CHECK (length(path) <= 2000),
    actor_name  text NOT NULL DEFAULT '',
    -- Why the user got it: recipient, participating, watching, owner.
    reason      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    read_at     timestamptz,
    -- The email channel: none (not wanted or no address), pending (due at
    -- email_due; a burst is sent as one email), sent, failed.
    email_state text NOT NULL DEFAULT 'none' CHECK (email_state IN ('none', 'pending', 'sent', 'failed')),
    email_due   timestamptz,
    -- Events this notification stands for: a burst on one thread while
    -- it is unread is one notification, counted.
    count       integer NOT NULL DEFAULT 1,
    UNIQUE (user_id, event_id)
);

-- One unread notification per user, thread and type (the burst's).
CREATE UNIQUE INDEX notifications_unread_thread ON notifications (user_id, project_id, subject, type)
    WHERE read_at IS NULL AND subject <> '' AND project_id IS NOT NULL;

CREATE INDEX notifications_user ON notifications (user_id, id DESC);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;
CREATE INDEX notifications_email_due ON notifications (email_due) WHERE email_state = 'pending';

-- A user's level on a project (subject '') or on one thread of it ("#12",
-- "!3"): watch (everything), participate (threads they take part in, the
-- default), mute (nothing, not even as a recipient).
CREATE TABLE notify_subscriptions (
    user_id    uuid NOT NULL,
    project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    subject    text NOT NULL DEFAULT '' CHECK (length(subject) <= 200),
    level      text NOT NULL CHECK (level IN ('watch', 'participate', 'mute')),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, project_id, subject)
);

CREATE INDEX notify_subscriptions_project ON notify_subscriptions (project_id, subject, level);

-- When each user was last emailed (the email channel's rate limit).
CREATE TABLE notify_email_sent (
    user_id uuid PRIMARY KEY,
    sent_at timestamptz NOT NULL
);

CREATE TABLE webhooks (
    id                   uuid PRIMARY KEY,
    project_id           uuid REFERENCES projects (id) ON DELETE CASCADE, -- NULL: installation-wide
    url                  text NOT NULL CHECK (length(url) <= 2048),
    -- The signing secret, sealed by the secrets feature (never in the clear).
    secret_sealed        bytea NOT NULL,
    -- Event types delivered; empty: every type.
    events               text[] NOT NULL DEFAULT '{}',
    active               boolean NOT NULL DEFAULT true,
    disabled_reason      text NOT NULL DEFAULT '',
    consecutive_failures integer NOT NULL DEFAULT 0,
    created_by           uuid,
    created_by_name      text NOT NULL DEFAULT '',
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX webhooks_project ON webhooks (project_id);

-- The durable delivery queue and the delivery log in one: a pending row is
-- due at next_attempt_at; its last attempt's outcome stays for the log.
CREATE TABLE webhook_deliveries (
    id               uuid PRIMARY KEY,       -- v7; X-Hearth-Delivery
    webhook_id       uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id         uuid NOT NULL,
    event_type       text NOT NULL,
    payload          jsonb NOT NULL,
    state            text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'succeeded', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_status      integer NOT NULL DEFAULT 0,
    last_duration_us bigint NOT NULL DEFAULT 0,
    last_error       text NOT NULL DEFAULT '',
    redelivery_of    uuid,
    created_at       timestamptz NOT NULL DEFAULT now(),
    finished_at      timestamptz
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries (webhook_id, id DESC);
