import { Badge, Group, Skeleton, Table, Text } from "@mantine/core";
import { ErrorAlert } from "../ErrorAlert";
import { formatDateTime } from "../tokens/time";
import { agentStatus } from "./agentCommand";
import { formatLabels } from "./labels";
import { useAgents } from "./useClusters";

// AgentList shows a cluster's agents and how each is doing.
export function AgentList({ clusterId, clusterName }: { clusterId: string; clusterName: string }) {
  const query = useAgents(clusterId);
  if (query.isPending) {
    return <Skeleton h={40} aria-label={`Loading the agents of ${clusterName}`} />;
  }
  if (query.isError) {
    return <ErrorAlert error={query.error} title="Could not load the agents" onRetry={() => void query.refetch()} />;
  }
  if (query.data.length === 0) {
    return (
      <Text size="sm" c="dimmed">
        No agent has joined yet. Create a join token and run the command it shows on a machine.
      </Text>
    );
  }
  return (
    <Table.ScrollContainer minWidth={560}>
      <Table verticalSpacing="xs" aria-label={`Agents of ${clusterName}`}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Agent</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th>Runner</Table.Th>
            <Table.Th>Last seen</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {query.data.map((a) => {
            const status = agentStatus(a);
            return (
              <Table.Tr key={a.id} aria-label={a.name}>
                <Table.Td>
                  <Text size="sm" fw={500}>
                    {a.name}
                  </Text>
                  <Group gap={4}>
                    {formatLabels(a.labels).map((l) => (
                      <Badge key={l} size="xs" variant="outline" color="gray" tt="none">
                        {l}
                      </Badge>
                    ))}
                  </Group>
                </Table.Td>
                <Table.Td>
                  <Badge color={status.color} variant="light">
                    {status.label}
                  </Badge>
                </Table.Td>
                <Table.Td>{a.runnerKind || "—"}</Table.Td>
                <Table.Td>{formatDateTime(a.lastSeenTime, "Never")}</Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
