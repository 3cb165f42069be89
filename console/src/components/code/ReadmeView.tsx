import { Box, Paper, Text } from "@mantine/core";
import { IconBook } from "@tabler/icons-react";
import { useCallback, useMemo } from "react";
import type { GetBlobResponse } from "../../gen/hearth/v1/repository_pb";
import { Markdown } from "../markdown/Markdown";
import { readmeLink } from "./codePaths";

const decoder = new TextDecoder("utf-8");

interface Props {
  owner: string;
  name: string;
  refName: string;
  blob: GetBlobResponse;
}

// ReadmeView shows a directory's README: markdown rendered (safely, by the
// shared Markdown component, its relative links opening the files at this
// ref), anything else as preformatted text.
export function ReadmeView({ owner, name, refName, blob }: Props) {
  const text = useMemo(() => decoder.decode(blob.content), [blob.content]);
  const file = blob.path.split("/").pop() ?? blob.path;
  const dir = blob.path.split("/").slice(0, -1).join("/");
  const isMarkdown = /\.(md|markdown)$/i.test(file);
  const transformUrl = useCallback(
    (url: string, key: string) => (key === "href" ? readmeLink(owner, name, refName, dir, url) : url),
    [owner, name, refName, dir],
  );
  let body;
  if (blob.isBinary || blob.truncated) {
    body = (
      <Text c="dimmed" size="sm" p="md">
        {file} is too large or not text.
      </Text>
    );
  } else if (isMarkdown) {
    body = (
      <Box p="md">
        <Markdown owner={owner} name={name} transformUrl={transformUrl}>
          {text}
        </Markdown>
      </Box>
    );
  } else {
    body = (
      <pre
        style={{
          margin: 0,
          padding: "var(--mantine-spacing-md)",
          overflowX: "auto",
          whiteSpace: "pre-wrap",
          wordBreak: "break-word",
          fontFamily: "var(--mantine-font-family-monospace)",
          fontSize: "var(--mantine-font-size-sm)",
        }}
      >
        {text}
      </pre>
    );
  }
  return (
    <Paper withBorder radius="md" style={{ overflow: "hidden" }} component="section" aria-label={file}>
      <Text
        size="sm"
        fw={600}
        px="sm"
        py={6}
        style={{ display: "flex", alignItems: "center", gap: 6, borderBottom: "1px solid var(--mantine-color-default-border)" }}
      >
        <IconBook size={16} aria-hidden /> {file}
      </Text>
      {body}
    </Paper>
  );
}
