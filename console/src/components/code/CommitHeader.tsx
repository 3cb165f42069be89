import { Anchor, Button, Code, Group, Paper, Stack, Text, Title } from "@mantine/core";
import { IconFolder } from "@tabler/icons-react";
import { Fragment } from "react";
import { Link } from "react-router";
import type { Commit } from "../../gen/hearth/v1/repository_pb";
import { commitPath, shortSha, treePath } from "./codePaths";
import { formatTime } from "./formatTime";

interface Props {
  owner: string;
  name: string;
  commit: Commit;
}

// CommitHeader is a commit's message, author (and committer when someone
// else), SHA and parents.
export function CommitHeader({ owner, name, commit }: Props) {
  const body = commit.message.startsWith(commit.title) ? commit.message.slice(commit.title.length).trim() : commit.message.trim();
  const author = commit.author;
  const committer = commit.committer;
  const otherCommitter = committer && author && (committer.name !== author.name || committer.email !== author.email);
  return (
    <Paper withBorder p="md" radius="md">
      <Stack gap="xs">
        <Group justify="space-between" align="flex-start" wrap="wrap" gap="xs">
          <Title order={2} size="h4" style={{ wordBreak: "break-word", minWidth: 0 }}>
            {commit.title || "(no message)"}
          </Title>
          <Button
            component={Link}
            to={treePath(owner, name, commit.sha)}
            size="compact-sm"
            variant="default"
            leftSection={<IconFolder size={14} aria-hidden />}
          >
            Browse files
          </Button>
        </Group>
        {body && (
          <pre style={{ margin: 0, whiteSpace: "pre-wrap", wordBreak: "break-word", fontFamily: "var(--mantine-font-family-monospace)", fontSize: "var(--mantine-font-size-sm)" }}>
            {body}
          </pre>
        )}
        <Text size="sm">
          <Text span fw={600} inherit>
            {author?.name || "unknown"}
          </Text>
          {author?.email && <Text span c="dimmed" inherit>{` <${author.email}>`}</Text>} authored {formatTime(author?.time)}
          {otherCommitter && (
            <>
              {"; "}
              <Text span fw={600} inherit>
                {committer.name}
              </Text>{" "}
              committed {formatTime(committer.time)}
            </>
          )}
        </Text>
        <Group gap="xs" wrap="wrap">
          <Text size="sm" c="dimmed">
            Commit
          </Text>
          <Code style={{ wordBreak: "break-all" }}>{commit.sha}</Code>
        </Group>
        <Group gap="xs" wrap="wrap">
          <Text size="sm" c="dimmed">
            {commit.parentShas.length === 1 ? "Parent" : "Parents"}
          </Text>
          {commit.parentShas.length === 0 ? (
            <Text size="sm">none (the first commit)</Text>
          ) : (
            commit.parentShas.map((p, i) => (
              <Fragment key={p}>
                {i > 0 && <Text size="sm">+</Text>}
                <Anchor component={Link} to={commitPath(owner, name, p)} aria-label={`Parent ${shortSha(p)}`}>
                  <Code>{shortSha(p)}</Code>
                </Anchor>
              </Fragment>
            ))
          )}
        </Group>
      </Stack>
    </Paper>
  );
}
