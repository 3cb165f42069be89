import { Anchor, Stack } from "@mantine/core";
import { Code, ConnectError } from "@connectrpc/connect";
import { Link, Navigate } from "react-router";
import { CodeSkeleton } from "../../../components/code/CodeSkeleton";
import { CodeToolbar } from "../../../components/code/CodeToolbar";
import { ReadmeView } from "../../../components/code/ReadmeView";
import { TreeList } from "../../../components/code/TreeList";
import { blobPath, treePath } from "../../../components/code/codePaths";
import { useBlob, useTree } from "../../../components/code/useRepository";
import { EmptyState } from "../../../components/EmptyState";
import { ErrorAlert } from "../../../components/ErrorAlert";
import { TreeEntryType } from "../../../gen/hearth/v1/repository_pb";
import type { Project } from "../../../gen/hearth/v1/project_pb";

interface Props {
  project: Project;
  refName: string;
  path: string;
}

const readmeName = /^readme(\.(md|markdown|txt|rst))?$/i;

// TreeBrowser is a directory at a ref under the Code toolbar, with its
// README beneath when it has one.
export function TreeBrowser({ project, refName, path }: Props) {
  const { owner, name } = project;
  const tree = useTree(owner, name, refName, path);
  const readmeEntry = tree.data?.entries.find((e) => e.type === TreeEntryType.BLOB && readmeName.test(e.name));
  const readme = useBlob(owner, name, refName, readmeEntry?.path ?? "", readmeEntry !== undefined);

  let body;
  if (tree.isPending) {
    body = <CodeSkeleton label="Loading the files" />;
  } else if (tree.isError) {
    const err = ConnectError.from(tree.error);
    // A file's path in a tree URL: show the file.
    if (err.code === Code.InvalidArgument && /not a directory/.test(err.rawMessage)) {
      return <Navigate to={blobPath(owner, name, refName, path)} replace />;
    }
    body = (
      <Stack gap="sm">
        <ErrorAlert
          error={tree.error}
          title={err.code === Code.NotFound ? `No ${path ? `directory ${path}` : "files"} at ${refName}` : undefined}
          onRetry={err.code === Code.NotFound ? undefined : () => void tree.refetch()}
        />
        <Anchor component={Link} to={treePath(owner, name, project.defaultBranch)} size="sm">
          Go to the {project.defaultBranch} branch
        </Anchor>
      </Stack>
    );
  } else if (tree.data.entries.length === 0) {
    body = <EmptyState title="This directory is empty" />;
  } else {
    body = (
      <Stack gap="md">
        <TreeList owner={owner} name={name} refName={refName} path={tree.data.path} entries={tree.data.entries} />
        {readme.data && <ReadmeView owner={owner} name={name} refName={refName} blob={readme.data} />}
      </Stack>
    );
  }
  return (
    <Stack gap="md">
      <CodeToolbar owner={owner} name={name} refName={refName} view="tree" path={path} cloneUrl={project.httpUrl} />
      {body}
    </Stack>
  );
}
