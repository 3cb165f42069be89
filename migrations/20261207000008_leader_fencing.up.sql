-- Leader fencing (owned by controlplane/internal/leader, used through
-- controlplane/internal/store): the newest leadership epoch (Raft term)
-- recorded by a leader of each Raft cluster. A leader records its epoch
-- after its Raft barrier and before its leader-only workers start; every
-- transaction of those workers first calls hearth_fence with its own epoch,
-- which takes a share lock on the row and raises unless the recorded epoch
-- is still its own. So once a newer leader has recorded its epoch (the
-- UPDATE waits for the older leader's fenced transactions in flight), a
-- deposed leader's writes fail in the database, whatever it believes.
--
-- cluster_id names a Raft cluster (kept in its raft.db): replicas that are
-- not joined into one cluster each lead their own and do not fence each
-- other; a cluster whose Raft state was lost starts over with new terms
-- under a new id instead of being fenced off forever by its old terms.
--
-- takeover numbers every takeover of any cluster sharing this database in
-- order: it is the epoch stamped on commands sent to node agents (agents
-- compare epochs of whichever replica they reach, so they need one order).
CREATE SEQUENCE leader_takeovers AS bigint;

CREATE TABLE leader_epochs (
    cluster_id  text PRIMARY KEY CHECK (length(cluster_id) BETWEEN 1 AND 200),
    epoch       bigint NOT NULL CHECK (epoch > 0),
    takeover    bigint NOT NULL DEFAULT nextval('leader_takeovers'),
    recorded_at timestamptz NOT NULL DEFAULT now()
);

-- hearth_fence raises SQLSTATE HF001 (fenced) unless mine is the epoch
-- recorded for the cluster; it returns nothing otherwise. The share lock
-- it takes lasts until the calling transaction ends.
CREATE FUNCTION hearth_fence(cluster text, mine bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    newest bigint;
BEGIN
    SELECT epoch INTO newest FROM leader_epochs WHERE cluster_id = cluster FOR SHARE;
    IF newest IS NULL OR newest <> mine THEN
        RAISE EXCEPTION 'leadership epoch % of raft cluster % is fenced off: the newest recorded epoch is %',
            mine, cluster, coalesce(newest::text, 'none')
            USING ERRCODE = 'HF001';
    END IF;
END
$$;
