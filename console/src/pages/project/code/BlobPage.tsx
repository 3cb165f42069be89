import { Code, ConnectError } from "@connectrpc/connect";
import { Anchor, Stack } from "@mantine/core";
import { Link, Navigate } from "react-router";
import { CodeSkeleton } from "../../../components/code/CodeSkeleton";
import { CodeToolbar } from "../../../components/code/CodeToolbar";
import { FileView } from "../../../components/code/FileView";
import { treePath } from "../../../components/code/codePaths";
import { useBlob } from "../../../components/code/useRepository";
import { ErrorAlert } from "../../../components/ErrorAlert";
import { useCodeLocation } from "./useCodeLocation";

// BlobPage is "-/blob/:ref/*": one file at a ref.
export function BlobPage() {
  const { project, ref, path, canonical } = useCodeLocation("blob");
  const { owner, name } = project;
  const blob = useBlob(owner, name, ref, path, canonical === null && path !== "");
  if (canonical) {
    return <Navigate to={canonical} replace />;
  }
  if (!path) {
    return <Navigate to={treePath(owner, name, ref)} replace />;
  }
  let body;
  if (blob.isPending) {
    body = <CodeSkeleton rows={12} label="Loading the file" />;
  } else if (blob.isError) {
    const err = ConnectError.from(blob.error);
    // A directory's path in a blob URL: list it.
    if (err.code === Code.InvalidArgument && /not a file/.test(err.rawMessage)) {
      return <Navigate to={treePath(owner, name, ref, path)} replace />;
    }
    body = (
      <Stack gap="sm">
        <ErrorAlert
          error={blob.error}
          title={err.code === Code.NotFound ? `No file ${path} at ${ref}` : undefined}
          onRetry={err.code === Code.NotFound ? undefined : () => void blob.refetch()}
        />
        <Anchor component={Link} to={treePath(owner, name, ref)} size="sm">
          Back to the files
        </Anchor>
      </Stack>
    );
  } else {
    body = <FileView owner={owner} name={name} refName={ref} blob={blob.data} />;
  }
  return (
    <Stack gap="md">
      <CodeToolbar owner={owner} name={name} refName={ref} view="blob" path={path} cloneUrl={project.httpUrl} />
      {body}
    </Stack>
  );
}
