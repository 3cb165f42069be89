import { Anchor, Button, Group, Paper, Text } from "@mantine/core";
import { IconDownload } from "@tabler/icons-react";
import { useMemo } from "react";
import type { GetBlobResponse } from "../../gen/hearth/v1/repository_pb";
import { CodeLines } from "./CodeLines";
import { rawFileUrl } from "./codePaths";
import { formatSize } from "./formatSize";
import { languageFor } from "./highlight";

interface Props {
  owner: string;
  name: string;
  refName: string;
  blob: GetBlobResponse;
}

const decoder = new TextDecoder("utf-8");

function Notice({ children }: { children: string }) {
  return (
    <Text c="dimmed" size="sm" p="lg" ta="center">
      {children}
    </Text>
  );
}

// FileView is one file: a bar with its size and a raw download, then its
// lines highlighted (or why they are not shown: binary, too large).
export function FileView({ owner, name, refName, blob }: Props) {
  const text = useMemo(() => decoder.decode(blob.content), [blob.content]);
  const language = languageFor(blob.path);
  const symlink = blob.mode === "120000";
  const lineCount = text === "" ? 0 : text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
  let body;
  if (blob.isBinary) {
    body = <Notice>Binary file not shown. Download it to view it.</Notice>;
  } else if (blob.truncated) {
    body = <Notice>This file is too large to show here. Download it to view it.</Notice>;
  } else if (symlink) {
    body = (
      <Text size="sm" p="md">
        Symbolic link to <Text span ff="monospace">{text}</Text>
      </Text>
    );
  } else if (text === "") {
    body = <Notice>This file is empty.</Notice>;
  } else {
    body = <CodeLines code={text} language={language} />;
  }
  return (
    <Paper withBorder radius="md" style={{ overflow: "hidden" }}>
      <Group
        justify="space-between"
        px="sm"
        py={6}
        gap="xs"
        style={{ background: "var(--mantine-color-default-hover)", borderBottom: "1px solid var(--mantine-color-default-border)" }}
      >
        <Text size="xs" c="dimmed">
          {!blob.isBinary && !blob.truncated && !symlink && `${lineCount} ${lineCount === 1 ? "line" : "lines"} · `}
          {formatSize(blob.size)}
          {language && !blob.isBinary && !blob.truncated ? ` · ${language}` : ""}
        </Text>
        <Button
          component="a"
          href={rawFileUrl(owner, name, refName, blob.path)}
          download
          size="compact-xs"
          variant="default"
          leftSection={<IconDownload size={14} aria-hidden />}
        >
          Raw
        </Button>
      </Group>
      {body}
      {(blob.isBinary || blob.truncated) && (
        <Text size="sm" ta="center" pb="lg">
          <Anchor href={rawFileUrl(owner, name, refName, blob.path)} download>
            Download {blob.path.split("/").pop()}
          </Anchor>
        </Text>
      )}
    </Paper>
  );
}
