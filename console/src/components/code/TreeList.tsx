import { Anchor, Group, Paper, Table, Text } from "@mantine/core";
import { IconFile, IconFolder, IconGitCommit, IconLink } from "@tabler/icons-react";
import { Link } from "react-router";
import { TreeEntryType, type TreeEntry } from "../../gen/hearth/v1/repository_pb";
import { blobPath, treePath } from "./codePaths";
import { formatSize } from "./formatSize";

interface Props {
  owner: string;
  name: string;
  refName: string;
  // The directory listed ("" for the root): adds a ".." row below it.
  path: string;
  entries: TreeEntry[];
}

function order(e: TreeEntry): number {
  return e.type === TreeEntryType.TREE ? 0 : e.type === TreeEntryType.COMMIT ? 1 : 2;
}

// sortEntries puts directories first, then by name (the server does too;
// this keeps the listing right whatever it sends).
export function sortEntries(entries: TreeEntry[]): TreeEntry[] {
  return [...entries].sort((a, b) => order(a) - order(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function EntryIcon({ e }: { e: TreeEntry }) {
  const props = { size: 16, "aria-hidden": true, style: { flex: "none" } } as const;
  if (e.type === TreeEntryType.TREE) {
    return <IconFolder {...props} color="var(--mantine-color-blue-filled)" />;
  }
  if (e.type === TreeEntryType.COMMIT) {
    return <IconGitCommit {...props} />;
  }
  return e.mode === "120000" ? <IconLink {...props} /> : <IconFile {...props} />;
}

// TreeList is one directory: folders first, each name a link deeper (a
// submodule is named, not followed).
export function TreeList({ owner, name, refName, path, entries }: Props) {
  const parent = path.split("/").filter(Boolean).slice(0, -1).join("/");
  return (
    <Paper withBorder radius="md" style={{ overflowX: "auto" }}>
      <Table verticalSpacing={6} highlightOnHover aria-label={path ? `Files in ${path}` : "Files"}>
        <Table.Tbody>
          {path && (
            <Table.Tr>
              <Table.Td colSpan={2}>
                <Anchor component={Link} to={treePath(owner, name, refName, parent)} size="sm" aria-label="Parent directory">
                  ..
                </Anchor>
              </Table.Td>
            </Table.Tr>
          )}
          {sortEntries(entries).map((e) => (
            <Table.Tr key={e.path}>
              <Table.Td>
                <Group gap={8} wrap="nowrap">
                  <EntryIcon e={e} />
                  {e.type === TreeEntryType.COMMIT ? (
                    <Text size="sm" title={`Submodule at ${e.sha}`}>
                      {e.name} <Text span c="dimmed" size="xs">@ {e.sha.slice(0, 8)}</Text>
                    </Text>
                  ) : (
                    <Anchor
                      component={Link}
                      to={e.type === TreeEntryType.TREE ? treePath(owner, name, refName, e.path) : blobPath(owner, name, refName, e.path)}
                      size="sm"
                      style={{ wordBreak: "break-all" }}
                    >
                      {e.name}
                    </Anchor>
                  )}
                </Group>
              </Table.Td>
              <Table.Td ta="right" c="dimmed" fz="xs" style={{ whiteSpace: "nowrap" }}>
                {e.type === TreeEntryType.BLOB ? formatSize(e.size) : ""}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Paper>
  );
}
