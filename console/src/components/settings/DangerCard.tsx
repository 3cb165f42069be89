import { Group, Paper, Stack, Text, Title } from "@mantine/core";
import type { ReactNode } from "react";

interface Props {
  title: string;
  description: ReactNode;
  children: ReactNode;
}

// DangerCard is one action of the danger zone: what it does, and the
// control that does it.
export function DangerCard({ title, description, children }: Props) {
  return (
    <Paper withBorder p="md" radius="md" style={{ borderColor: "var(--mantine-color-red-outline)" }} component="section" aria-label={title}>
      <Group justify="space-between" align="flex-start" wrap="wrap" gap="sm">
        <Stack gap={4} maw={560}>
          <Title order={3} size="h5">
            {title}
          </Title>
          <Text size="sm" c="dimmed" component="div">
            {description}
          </Text>
        </Stack>
        {children}
      </Group>
    </Paper>
  );
}
