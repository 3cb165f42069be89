import { Badge, Button, Group, Paper, Stack, Text, Title } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { IconKey } from "@tabler/icons-react";
import type { Cluster } from "../../gen/hearth/v1/cluster_pb";
import { formatDate } from "../tokens/time";
import { AgentList } from "./AgentList";
import { CreateJoinTokenModal } from "./CreateJoinTokenModal";
import { JoinTokenList } from "./JoinTokenList";
import { formatLabels } from "./labels";

// ClusterCard is one cluster: its labels, agents and join tokens.
export function ClusterCard({ cluster }: { cluster: Cluster }) {
  const [creating, { open, close }] = useDisclosure(false);
  return (
    <Paper component="li" withBorder p="md" radius="md" aria-label={cluster.name}>
      <Stack gap="sm">
        <Group justify="space-between" wrap="wrap" gap="xs">
          <Stack gap={2}>
            <Title order={2} size="h4">
              {cluster.name}
            </Title>
            <Text size="xs" c="dimmed">
              Created {formatDate(cluster.createTime)} · id <code>{cluster.id}</code>
            </Text>
          </Stack>
          <Button size="sm" variant="light" leftSection={<IconKey size={16} aria-hidden />} onClick={open}>
            New join token
          </Button>
        </Group>
        {Object.keys(cluster.labels).length > 0 && (
          <Group gap={4}>
            {formatLabels(cluster.labels).map((l) => (
              <Badge key={l} variant="outline" color="gray" tt="none">
                {l}
              </Badge>
            ))}
          </Group>
        )}
        <Title order={3} size="h6">
          Agents
        </Title>
        <AgentList clusterId={cluster.id} clusterName={cluster.name} />
        <Title order={3} size="h6">
          Join tokens
        </Title>
        <JoinTokenList clusterId={cluster.id} clusterName={cluster.name} />
      </Stack>
      <CreateJoinTokenModal cluster={cluster} opened={creating} onClose={close} />
    </Paper>
  );
}
