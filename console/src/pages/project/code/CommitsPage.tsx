import { Button, Center, Stack, Title } from "@mantine/core";
import { CodeSkeleton } from "../../../components/code/CodeSkeleton";
import { CodeToolbar } from "../../../components/code/CodeToolbar";
import { CommitRow } from "../../../components/code/CommitRow";
import { useCommits } from "../../../components/code/useRepository";
import { EmptyState } from "../../../components/EmptyState";
import { ErrorAlert } from "../../../components/ErrorAlert";
import { useCodeLocation } from "./useCodeLocation";

// CommitsPage is "-/commits/:ref": the history from a ref, newest first,
// a page at a time.
export function CommitsPage() {
  const { project, ref } = useCodeLocation("commits");
  const { owner, name } = project;
  const commits = useCommits(owner, name, ref);
  // A failed next page leaves the query in error with its pages kept.
  const { data, error } = commits;
  let body;
  if (commits.isPending) {
    body = <CodeSkeleton rows={8} label="Loading the commits" />;
  } else if (!data) {
    body = <ErrorAlert error={error} title={`Could not list the commits of ${ref}`} onRetry={() => void commits.refetch()} />;
  } else {
    const list = data.pages.flatMap((p) => p.commits);
    body =
      list.length === 0 ? (
        <EmptyState title="No commits">Nothing was committed to {ref}.</EmptyState>
      ) : (
        <Stack gap="sm">
          <Stack component="ol" gap={6} p={0} m={0} style={{ listStyle: "none" }} aria-label={`Commits of ${ref}`}>
            {list.map((c) => (
              <CommitRow key={c.sha} owner={owner} name={name} commit={c} />
            ))}
          </Stack>
          {commits.isFetchNextPageError && <ErrorAlert error={error} title="Could not load more commits" />}
          {commits.hasNextPage && (
            <Center>
              <Button variant="default" loading={commits.isFetchingNextPage} onClick={() => void commits.fetchNextPage()}>
                Load older commits
              </Button>
            </Center>
          )}
        </Stack>
      );
  }
  return (
    <Stack gap="md">
      <CodeToolbar owner={owner} name={name} refName={ref} view="commits" path="" cloneUrl={project.httpUrl} />
      <Title order={2} size="h4">
        Commits
      </Title>
      {body}
    </Stack>
  );
}
