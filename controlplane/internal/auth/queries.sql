-- Users ---------------------------------------------------------------------

-- name: CreateInitialAdmin :one
-- Creates the first administrator, only while there is no user at all.
INSERT INTO users (username, email, display_name, password_hash, must_change_password)
SELECT @username::text, @email::text, 'Administrator', @password_hash::text, @must_change_password::boolean
WHERE NOT EXISTS (SELECT 1 FROM users)
RETURNING id;

-- name: CreateUser :one
INSERT INTO users (username, email, display_name, password_hash, must_change_password)
VALUES (@username, @email, @display_name, @password_hash, @must_change_password)
RETURNING *;

-- name: GetUser :one
SELECT * FROM users WHERE id = @id;

-- name: GetUserForUpdate :one
SELECT * FROM users WHERE id = @id FOR UPDATE;

-- name: GetUserByLogin :one
-- Finds a user by username or email, whatever their case.
SELECT * FROM users
WHERE lower(username) = lower(@login::text) OR lower(email) = lower(@login::text)
ORDER BY (lower(username) = lower(@login::text)) DESC
LIMIT 1;

-- name: ListUsers :many
-- Pages by lower(username); query matches username, email or display name.
SELECT * FROM users
WHERE lower(username) > lower(@after::text)
  AND (@query::text = ''
       OR strpos(lower(username), lower(@query::text)) > 0
       OR strpos(lower(email), lower(@query::text)) > 0
       OR strpos(lower(display_name), lower(@query::text)) > 0)
ORDER BY lower(username)
LIMIT @page_size;

-- name: UpdateUser :one
UPDATE users SET
    email = coalesce(sqlc.narg(email)::text, email),
    display_name = coalesce(sqlc.narg(display_name)::text, display_name),
    password_hash = coalesce(sqlc.narg(password_hash)::text, password_hash),
    must_change_password = coalesce(sqlc.narg(must_change_password)::boolean, must_change_password),
    deactivated_at = CASE WHEN @reactivate::boolean THEN NULL ELSE deactivated_at END
WHERE id = @id
RETURNING *;

-- name: DeactivateUser :one
UPDATE users SET deactivated_at = coalesce(deactivated_at, @now::timestamptz)
WHERE id = @id
RETURNING *;

-- name: UserActive :one
SELECT (deactivated_at IS NULL)::boolean AS active FROM users WHERE id = @id;

-- Sessions ------------------------------------------------------------------

-- name: CreateSession :exec
INSERT INTO sessions (id, user_id, token_hash, csrf_hash, created_at, last_seen_at, expires_at, client_ip, user_agent)
VALUES (@id, @user_id, @token_hash, @csrf_hash, @now, @now, @expires_at, @client_ip, @user_agent);

-- name: GetSessionByHash :one
-- The session and its user, whatever their state: the caller decides.
SELECT s.id, s.user_id, s.created_at, s.last_seen_at, s.expires_at,
       u.username, u.deactivated_at, u.must_change_password
FROM sessions s JOIN users u ON u.id = s.user_id
WHERE s.token_hash = @token_hash;

-- name: GetSessionByCSRF :one
SELECT id FROM sessions
WHERE csrf_hash = @csrf_hash AND expires_at > @now AND last_seen_at > @idle_before;

-- name: TouchSession :exec
UPDATE sessions SET last_seen_at = @now WHERE id = @id AND last_seen_at < @now;

-- name: DeleteSession :exec
DELETE FROM sessions WHERE id = @id;

-- name: DeleteSessionByHash :one
DELETE FROM sessions WHERE token_hash = @token_hash RETURNING id, user_id;

-- name: DeleteUserSessions :execrows
-- Ends every session of a user except the one whose hash is keep (NULL:
-- every session).
DELETE FROM sessions WHERE user_id = @user_id AND token_hash IS DISTINCT FROM sqlc.narg(keep)::bytea;

-- name: DeleteExpiredSessions :execrows
DELETE FROM sessions WHERE expires_at <= @now OR last_seen_at <= @idle_before;

-- API tokens ----------------------------------------------------------------

-- name: CreateToken :one
INSERT INTO api_tokens (id, user_id, name, token_hash, prefix, scopes, project_id, created_at, expires_at)
VALUES (@id, @user_id, @name, @token_hash, @prefix, @scopes, @project_id, @created_at, @expires_at)
RETURNING *;

-- name: ListTokens :many
-- The user's tokens that still work.
SELECT * FROM api_tokens
WHERE user_id = @user_id AND revoked_at IS NULL AND expires_at > @now
ORDER BY created_at DESC, id DESC;

-- name: RevokeToken :one
UPDATE api_tokens SET revoked_at = @now::timestamptz
WHERE id = @id AND user_id = @user_id AND revoked_at IS NULL
RETURNING *;

-- name: RevokeUserTokens :execrows
UPDATE api_tokens SET revoked_at = @now::timestamptz WHERE user_id = @user_id AND revoked_at IS NULL;

-- name: GetTokenByHash :one
SELECT t.id, t.user_id, t.scopes, t.project_id, t.expires_at, t.last_used_at, t.revoked_at,
       u.username, u.deactivated_at
FROM api_tokens t JOIN users u ON u.id = t.user_id
WHERE t.token_hash = @token_hash;

-- name: TouchToken :exec
UPDATE api_tokens SET last_used_at = @now::timestamptz
WHERE id = @id AND (last_used_at IS NULL OR last_used_at < @now);

-- name: RevokeTokenByID :execrows
-- Ends a token whoever owns it (pipeline job tokens, revoked by the system).
UPDATE api_tokens SET revoked_at = @now::timestamptz WHERE id = @id AND revoked_at IS NULL;

-- name: UserNames :many
-- The usernames of the users with the given ids (unknown ids are left out).
SELECT id, username FROM users WHERE id = ANY(@ids::uuid[]);
