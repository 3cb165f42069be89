-- Merge rules on protected branches (owned by controlplane/internal/git):
-- what a merge request needs before it may be merged into a matching branch.
-- They mean something only for branch rules: a tag rule keeps 0 and false.
ALTER TABLE git_protected_refs
    -- Approvals a merge request needs (0: none).
    ADD COLUMN required_approvals integer NOT NULL DEFAULT 0
        CONSTRAINT git_protected_refs_required_approvals CHECK (required_approvals BETWEEN 0 AND 50),
    -- Whether the source commit needs a green (succeeded) pipeline.
    ADD COLUMN require_pipeline boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT git_protected_refs_merge_rules_branch_only
        CHECK (kind = 'branch' OR (required_approvals = 0 AND NOT require_pipeline));
