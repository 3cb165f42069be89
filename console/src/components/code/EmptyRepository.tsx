import { Code, Paper, Stack, Text, Title } from "@mantine/core";
import { CloneUrl } from "./CloneUrl";

interface Props {
  cloneUrl: string;
  defaultBranch: string;
}

// EmptyRepository is the Code tab of a repository nothing was pushed to
// yet: how to push its first commits.
export function EmptyRepository({ cloneUrl, defaultBranch }: Props) {
  const branch = defaultBranch || "main";
  return (
    <Paper withBorder p="lg" radius="md">
      <Stack gap="sm">
        <Title order={2} size="h4">
          This repository is empty
        </Title>
        <Text c="dimmed" size="sm">
          Push a branch to get started. Clone it with:
        </Text>
        <CloneUrl url={cloneUrl} w="100%" />
        <Text size="sm">Push an existing repository from the command line:</Text>
        <Code block style={{ overflowX: "auto" }}>
          {`git remote add origin ${cloneUrl}\ngit push -u origin ${branch}`}
        </Code>
        <Text size="sm">Or start a new one:</Text>
        <Code block style={{ overflowX: "auto" }}>
          {`git clone ${cloneUrl}\ncd ${cloneName(cloneUrl)}\ngit switch -c ${branch}\necho "# ${cloneName(cloneUrl)}" > README.md\ngit add README.md\ngit commit -m "Add README"\ngit push -u origin ${branch}`}
        </Code>
      </Stack>
    </Paper>
  );
}

function cloneName(url: string): string {
  return (url.split("/").pop() ?? "repository").replace(/\.git$/, "") || "repository";
}
