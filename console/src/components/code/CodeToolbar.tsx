import { Button, Group } from "@mantine/core";
import { IconHistory } from "@tabler/icons-react";
import { Link } from "react-router";
import { CloneUrl } from "./CloneUrl";
import { PathBreadcrumb } from "./PathBreadcrumb";
import { RefPicker } from "./RefPicker";
import { commitsPath, type CodeView } from "./codePaths";

interface Props {
  owner: string;
  name: string;
  refName: string;
  view: CodeView;
  path: string;
  cloneUrl: string;
}

// CodeToolbar tops every Code page: the ref picker, where we are (the
// path, for trees and files), the history link and the clone URL.
export function CodeToolbar({ owner, name, refName, view, path, cloneUrl }: Props) {
  return (
    <Group justify="space-between" wrap="wrap" gap="sm" align="center">
      <Group gap="sm" wrap="wrap" style={{ minWidth: 0, flex: "1 1 320px" }}>
        <RefPicker owner={owner} name={name} current={refName} view={view} path={path} />
        {view !== "commits" && <PathBreadcrumb owner={owner} name={name} refName={refName} path={path} />}
      </Group>
      <Group gap="xs" wrap="wrap" style={{ flex: "1 1 auto", justifyContent: "flex-end" }}>
        {view !== "commits" && (
          <Button component={Link} to={commitsPath(owner, name, refName)} size="xs" variant="default" leftSection={<IconHistory size={14} aria-hidden />}>
            History
          </Button>
        )}
        {cloneUrl && <CloneUrl url={cloneUrl} />}
      </Group>
    </Group>
  );
}
