-- name: CreateInitialAdmin :one
-- Creates the first administrator, only while there is no user at all.
INSERT INTO users (username, email, display_name, password_hash, is_admin, must_change_password)
SELECT @username::text, @email::text, 'Administrator', @password_hash::text, true, true
WHERE NOT EXISTS (SELECT 1 FROM users)
RETURNING id;

-- name: CountAdmins :one
SELECT count(*) FROM users WHERE is_admin AND deactivated_at IS NULL;

-- name: GetUserByUsername :one
SELECT id, username, email, display_name, password_hash, is_admin, must_change_password,
       created_at, updated_at, deactivated_at
FROM users
WHERE lower(username) = lower(@username::text);
