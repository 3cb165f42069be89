import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Anchor, Code, Group, Paper, Stack, Text } from "@mantine/core";
import { Link } from "react-router";
import type { Commit } from "../../gen/hearth/v1/repository_pb";
import { commitPath, shortSha } from "./codePaths";
import { formatTime } from "./formatTime";

interface Props {
  owner: string;
  name: string;
  commit: Commit;
}

// CommitRow is one commit of a list: its title linking to the commit,
// author, time and short SHA.
export function CommitRow({ owner, name, commit }: Props) {
  const to = commitPath(owner, name, commit.sha);
  const when = commit.author?.time;
  return (
    <Paper component="li" withBorder p="sm" radius="md">
      <Group justify="space-between" wrap="nowrap" gap="sm" align="flex-start">
        <Stack gap={2} style={{ minWidth: 0 }}>
          <Anchor component={Link} to={to} fw={600} size="sm" style={{ wordBreak: "break-word" }}>
            {commit.title || "(no message)"}
          </Anchor>
          <Text size="xs" c="dimmed">
            {commit.author?.name || "unknown"}
            {when && (
              <>
                {" · "}
                <time dateTime={timestampDate(when).toISOString()}>{formatTime(when)}</time>
              </>
            )}
          </Text>
        </Stack>
        <Anchor component={Link} to={to} aria-label={`Commit ${shortSha(commit.sha)}`}>
          <Code>{shortSha(commit.sha)}</Code>
        </Anchor>
      </Group>
    </Paper>
  );
}
