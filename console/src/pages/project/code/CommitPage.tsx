import { Code, ConnectError } from "@connectrpc/connect";
import { Anchor, Stack } from "@mantine/core";
import { Link, useParams } from "react-router";
import { CodeSkeleton } from "../../../components/code/CodeSkeleton";
import { CommitHeader } from "../../../components/code/CommitHeader";
import { commitsPath } from "../../../components/code/codePaths";
import { useCommit } from "../../../components/code/useRepository";
import { DiffView } from "../../../components/diff/DiffView";
import { ErrorAlert } from "../../../components/ErrorAlert";
import { useProjectContext } from "../../../components/project/useProjectContext";

// CommitPage is "-/commit/:sha": one commit and its diff against its
// first parent.
export function CommitPage() {
  const project = useProjectContext();
  const { sha = "" } = useParams();
  const { owner, name } = project;
  const commit = useCommit(owner, name, sha);
  if (commit.isPending) {
    return <CodeSkeleton rows={10} label="Loading the commit" />;
  }
  if (commit.isError || !commit.data.commit) {
    const notFound = ConnectError.from(commit.error).code === Code.NotFound;
    return (
      <Stack gap="sm">
        <ErrorAlert
          error={commit.error}
          title={notFound ? `No commit ${sha}` : undefined}
          onRetry={notFound ? undefined : () => void commit.refetch()}
        />
        <Anchor component={Link} to={commitsPath(owner, name, project.defaultBranch)} size="sm">
          Back to the commits
        </Anchor>
      </Stack>
    );
  }
  const { commit: c, diff } = commit.data;
  return (
    <Stack gap="md">
      <CommitHeader owner={owner} name={name} commit={c} />
      {diff && <DiffView diff={diff} />}
    </Stack>
  );
}
