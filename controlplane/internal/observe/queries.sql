-- name: FlushedSegments :many
SELECT segment FROM observe_flushed_segments WHERE replica = $1;

-- name: RecordFlushedSegment :execrows
INSERT INTO observe_flushed_segments (replica, segment, file_count, row_count)
VALUES ($1, $2, $3, $4)
ON CONFLICT (replica, segment) DO NOTHING;

-- name: InsertFile :exec
INSERT INTO observe_files (id, signal, project_id, object_key, min_time, max_time, row_count, size_bytes, services, hour, level, replica, segment)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13);

-- name: FilesInRange :many
-- The files of a project and signal whose rows may fall in [from, to),
-- newest first.
SELECT id, object_key, min_time, max_time, row_count, size_bytes, services, replica, segment
FROM observe_files
WHERE project_id = $1 AND signal = $2 AND max_time >= sqlc.arg(from_time) AND min_time < sqlc.arg(to_time)
ORDER BY max_time DESC, id;

-- name: CompactionCandidates :many
-- Hours of a project and signal with more than one flushed file old
-- enough that no replica still holds their segments in memory.
SELECT signal, project_id, hour, count(*)::bigint AS files
FROM observe_files
WHERE level = 0 AND created_at < sqlc.arg(settled_before)
GROUP BY signal, project_id, hour
HAVING count(*) > 1
ORDER BY min(created_at)
LIMIT sqlc.arg(max_groups);

-- name: FilesOfHour :many
SELECT id, object_key, min_time, max_time, row_count, size_bytes, services, replica, segment
FROM observe_files
WHERE signal = $1 AND project_id = $2 AND hour = $3 AND level = 0 AND created_at < sqlc.arg(settled_before)
ORDER BY min_time
LIMIT sqlc.arg(max_files);

-- name: DeleteFile :one
DELETE FROM observe_files WHERE id = $1 RETURNING object_key;

-- name: ExpiredFiles :many
-- Files wholly older than their project's retention (the default for
-- projects without a setting).
SELECT f.id, f.object_key
FROM observe_files f
LEFT JOIN observe_settings s ON s.project_id = f.project_id
WHERE f.max_time < sqlc.arg(now_nano)::bigint - coalesce(s.retention_days::bigint * 86400000000000, sqlc.arg(default_retention_nano)::bigint)
ORDER BY f.max_time
LIMIT sqlc.arg(max_files);

-- name: QueueGarbage :exec
INSERT INTO observe_garbage (object_key, delete_after) VALUES ($1, $2)
ON CONFLICT (object_key) DO NOTHING;

-- name: DueGarbage :many
SELECT object_key FROM observe_garbage WHERE delete_after <= $1 ORDER BY delete_after LIMIT $2;

-- name: ForgetGarbage :exec
DELETE FROM observe_garbage WHERE object_key = $1;

-- name: ForgetFlushedSegments :exec
DELETE FROM observe_flushed_segments WHERE flushed_at < $1;

-- name: SetRetention :exec
INSERT INTO observe_settings (project_id, retention_days) VALUES ($1, $2)
ON CONFLICT (project_id) DO UPDATE SET retention_days = EXCLUDED.retention_days, updated_at = now();

-- name: InsertAlertRule :one
INSERT INTO observe_alert_rules (id, project_id, name, signal, match, comparator, threshold, window_seconds, for_seconds, labels, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
RETURNING created_at;

-- name: ListAlertRules :many
SELECT r.id, r.project_id, r.name, r.signal, r.match, r.comparator, r.threshold, r.window_seconds, r.for_seconds, r.labels,
       r.created_by, r.created_at,
       s.state, s.since, s.value, s.evaluated_at, s.silenced
FROM observe_alert_rules r
LEFT JOIN observe_alert_states s ON s.rule_id = r.id
WHERE r.project_id = $1
ORDER BY r.name;

-- name: AllAlertRules :many
SELECT id, project_id, name, signal, match, comparator, threshold, window_seconds, for_seconds, labels, created_by, created_at
FROM observe_alert_rules
ORDER BY id;

-- name: DeleteAlertRule :execrows
DELETE FROM observe_alert_rules WHERE id = $1 AND project_id = $2;

-- name: LockAlertState :one
-- The rule's state, locked for the evaluator's transition ('' state: never
-- evaluated). No row: the rule was deleted meanwhile.
SELECT r.id, coalesce(s.state, '')::text AS state, coalesce(s.since, r.created_at)::timestamptz AS since,
       coalesce(s.notified, false)::boolean AS notified
FROM observe_alert_rules r
LEFT JOIN observe_alert_states s ON s.rule_id = r.id
WHERE r.id = $1
FOR UPDATE OF r;

-- name: SaveAlertState :exec
INSERT INTO observe_alert_states (rule_id, state, since, value, evaluated_at, silenced, notified)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (rule_id) DO UPDATE SET state = EXCLUDED.state, since = EXCLUDED.since, value = EXCLUDED.value,
    evaluated_at = EXCLUDED.evaluated_at, silenced = EXCLUDED.silenced, notified = EXCLUDED.notified;

-- name: InsertSilence :exec
INSERT INTO observe_silences (id, project_id, matchers, comment, created_by, starts_at, ends_at)
VALUES ($1, $2, $3, $4, $5, $6, $7);

-- name: ListSilences :many
SELECT id, matchers, comment, created_by, starts_at, ends_at
FROM observe_silences
WHERE project_id = $1 AND ends_at > $2
ORDER BY starts_at;

-- name: EndSilence :execrows
UPDATE observe_silences SET ends_at = greatest(starts_at + interval '1 microsecond', sqlc.arg(now)::timestamptz)
WHERE id = $1 AND project_id = $2 AND ends_at > sqlc.arg(now)::timestamptz;

-- name: GetRetention :one
SELECT retention_days FROM observe_settings WHERE project_id = $1;

-- name: ClearRetention :exec
DELETE FROM observe_settings WHERE project_id = $1;
