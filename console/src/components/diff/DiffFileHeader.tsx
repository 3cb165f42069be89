import { Badge, Group, Text, UnstyledButton } from "@mantine/core";
import { IconChevronDown, IconChevronRight } from "@tabler/icons-react";
import { FileStatus, type FileDiff } from "../../gen/hearth/v1/repository_pb";
import { diffFilePath, fileStatusColor, fileStatusLabel } from "./diffFile";

interface Props {
  file: FileDiff;
  open: boolean;
  onToggle: () => void;
  bodyId: string;
}

// DiffFileHeader is a file's bar in a diff: a button that shows or hides
// its lines, its path (old → new for a rename), status and counts.
export function DiffFileHeader({ file, open, onToggle, bodyId }: Props) {
  const path = diffFilePath(file);
  const renamed = file.status === FileStatus.RENAMED && file.oldPath && file.oldPath !== file.newPath;
  const Chevron = open ? IconChevronDown : IconChevronRight;
  return (
    <Group
      justify="space-between"
      wrap="wrap"
      gap="xs"
      px="sm"
      py={6}
      style={{ background: "var(--mantine-color-default-hover)", borderBottom: open ? "1px solid var(--mantine-color-default-border)" : undefined }}
    >
      <UnstyledButton
        onClick={onToggle}
        aria-expanded={open}
        aria-controls={bodyId}
        style={{ display: "flex", alignItems: "center", gap: 6, minWidth: 0, flex: "1 1 auto" }}
      >
        <Chevron size={16} aria-hidden style={{ flex: "none" }} />
        <Text ff="monospace" size="sm" fw={600} style={{ wordBreak: "break-all" }}>
          {renamed ? `${file.oldPath} → ${file.newPath}` : path}
        </Text>
      </UnstyledButton>
      <Group gap={6} wrap="nowrap">
        <Badge size="sm" variant="light" color={fileStatusColor[file.status]}>
          {fileStatusLabel[file.status]}
          {renamed && file.similarity > 0 && file.similarity < 100 ? ` ${file.similarity}%` : ""}
        </Badge>
        {!file.isBinary && (
          <Text size="xs" ff="monospace" aria-label={`${file.additions} added, ${file.deletions} deleted`}>
            <Text span c="green" inherit>
              +{file.additions}
            </Text>{" "}
            <Text span c="red" inherit>
              −{file.deletions}
            </Text>
          </Text>
        )}
      </Group>
    </Group>
  );
}
