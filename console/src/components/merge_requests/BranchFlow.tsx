import { Code, Group, Text } from "@mantine/core";

// BranchFlow shows "source → target".
export function BranchFlow({ source, target }: { source: string; target: string }) {
  return (
    <Group gap={4} wrap="wrap" component="span" aria-label={`from ${source} into ${target}`}>
      <Code>{source}</Code>
      <Text span c="dimmed" aria-hidden>
        →
      </Text>
      <Code>{target}</Code>
    </Group>
  );
}
