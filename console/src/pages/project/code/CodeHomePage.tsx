import { Stack } from "@mantine/core";
import { CodeSkeleton } from "../../../components/code/CodeSkeleton";
import { EmptyRepository } from "../../../components/code/EmptyRepository";
import { useBranches } from "../../../components/code/useRepository";
import { ErrorAlert } from "../../../components/ErrorAlert";
import { useProjectContext } from "../../../components/project/useProjectContext";
import { TreeBrowser } from "./TreeBrowser";

// CodeHomePage is the project's own URL: the default branch's root and
// README, or how to push the first commits to an empty repository.
export function CodeHomePage() {
  const project = useProjectContext();
  const branches = useBranches(project.owner, project.name);
  if (branches.isPending) {
    return <CodeSkeleton label="Loading the repository" />;
  }
  if (branches.isError) {
    return <ErrorAlert error={branches.error} title="Could not open the repository" onRetry={() => void branches.refetch()} />;
  }
  const list = branches.data.branches;
  const defaultBranch = branches.data.defaultBranch || project.defaultBranch;
  if (list.length === 0) {
    return <EmptyRepository cloneUrl={project.httpUrl} defaultBranch={defaultBranch} />;
  }
  // HEAD may name a branch nobody pushed: show one that exists.
  const ref = list.find((b) => b.isDefault)?.name ?? list.find((b) => b.name === defaultBranch)?.name ?? list[0].name;
  return (
    <Stack gap="md">
      <TreeBrowser project={project} refName={ref} path="" />
    </Stack>
  );
}
