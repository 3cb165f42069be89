-- Users (owned by controlplane/internal/auth). Being an administrator is a
-- role binding, owned by controlplane/internal/rbac.
CREATE TABLE users (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    username             text NOT NULL CHECK (username ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,38}$'),
    email                text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    display_name         text NOT NULL DEFAULT '' CHECK (length(display_name) <= 200),
    password_hash        text NOT NULL,
    must_change_password boolean NOT NULL DEFAULT false,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    deactivated_at       timestamptz
);

-- Usernames and emails are unique whatever their case.
CREATE UNIQUE INDEX users_username_key ON users (lower(username));
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TRIGGER users_updated_at BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
