import { Alert, Anchor, Badge, Button, Center, Group, Stack, Table, Text, Title, Tooltip, VisuallyHidden } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { IconArrowLeft, IconRefresh } from "@tabler/icons-react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Link } from "react-router";
import type { WebhookDelivery } from "../../gen/hearth/v1/webhook_pb";
import { EmptyState } from "../EmptyState";
import { ErrorAlert } from "../ErrorAlert";
import { isoTime } from "../issues/formatTime";
import { absoluteTime, relativeTime } from "../pipelines/format";
import { TableSkeleton } from "../tokens/TableSkeleton";
import { useWebhookDeliveries, useWebhooks } from "./useWebhooks";
import { WebhookEvents, WebhookStatus } from "./WebhookList";
import { responseTime, statusText } from "./webhookRules";
import { webhookDeliveriesKey, type WebhookScope } from "./webhookScope";

const stateColors: Record<string, string> = { succeeded: "green", failed: "red", pending: "yellow" };
const stateLabels: Record<string, string> = { succeeded: "Succeeded", failed: "Failed", pending: "Pending" };

interface Props {
  scope: WebhookScope;
  webhookId: string;
}

// WebhookDeliveries is one webhook's delivery log, newest first: each
// event sent, how its last attempt went, and a button to send it again.
export function WebhookDeliveries({ scope, webhookId }: Props) {
  const hooks = useWebhooks(scope);
  const log = useWebhookDeliveries(scope, webhookId);
  const queryClient = useQueryClient();
  const redeliver = useMutation({
    mutationFn: (d: WebhookDelivery) => scope.redeliver(webhookId, d.id),
    onSuccess: (_id, d) => {
      void queryClient.invalidateQueries({ queryKey: webhookDeliveriesKey(scope, webhookId) });
      notifications.show({ color: "green", message: `Queued ${d.eventType} for delivery again.` });
    },
  });
  const webhook = hooks.data?.find((w) => w.id === webhookId);

  return (
    <Stack>
      <Anchor component={Link} to={scope.listPath} size="sm">
        <Group gap={4} component="span">
          <IconArrowLeft size={14} aria-hidden />
          All webhooks
        </Group>
      </Anchor>
      <Group justify="space-between" wrap="wrap" gap="sm" align="flex-start">
        <Stack gap={4} style={{ minWidth: 0, flex: 1 }}>
          <Title order={2} size="h3">
            Deliveries
          </Title>
          {webhook && (
            <Text ff="monospace" size="sm" style={{ wordBreak: "break-all" }}>
              {webhook.url}
            </Text>
          )}
        </Stack>
        <Button
          variant="default"
          leftSection={<IconRefresh size={16} aria-hidden />}
          loading={log.isRefetching && !log.isFetchingNextPage}
          onClick={() => void log.refetch()}
        >
          Refresh
        </Button>
      </Group>
      {webhook && (
        <Group gap="md" wrap="wrap" align="flex-start">
          <WebhookStatus webhook={webhook} />
          <WebhookEvents events={webhook.events} />
        </Group>
      )}
      {hooks.isSuccess && !webhook && (
        <Alert color="orange" variant="light" title="No such webhook">
          There is no webhook with this id in {scope.where}; it may have been deleted.
        </Alert>
      )}
      {redeliver.isError && <ErrorAlert error={redeliver.error} title="Could not deliver it again" />}
      <DeliveryTable log={log} redeliver={redeliver} />
    </Stack>
  );
}

interface TableProps {
  log: ReturnType<typeof useWebhookDeliveries>;
  redeliver: { mutate(d: WebhookDelivery): void; isPending: boolean; variables?: WebhookDelivery };
}

function DeliveryTable({ log, redeliver }: TableProps) {
  if (log.isPending) {
    return <TableSkeleton label="Loading the deliveries" />;
  }
  if (!log.data) {
    return <ErrorAlert error={log.error} title="Could not load the deliveries" onRetry={() => void log.refetch()} />;
  }
  const deliveries = log.data.pages.flatMap((p) => p.deliveries);
  if (deliveries.length === 0) {
    return <EmptyState title="No deliveries yet">Each event this webhook receives is listed here with how its delivery went.</EmptyState>;
  }
  return (
    <Stack gap="sm">
      <Table.ScrollContainer minWidth={960}>
        <Table verticalSpacing="xs" aria-label="Deliveries">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Event</Table.Th>
              <Table.Th>State</Table.Th>
              <Table.Th>Attempts</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Response time</Table.Th>
              <Table.Th>Error</Table.Th>
              <Table.Th>Time</Table.Th>
              <Table.Th>
                <VisuallyHidden>Actions</VisuallyHidden>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {deliveries.map((d) => (
              <Table.Tr key={d.id}>
                <Table.Td>
                  <Text ff="monospace" size="sm" style={{ whiteSpace: "nowrap" }}>
                    {d.eventType}
                  </Text>
                  {d.redeliveryOf && (
                    <Badge size="xs" variant="outline" color="gray">
                      Redelivery
                    </Badge>
                  )}
                </Table.Td>
                <Table.Td miw={120}>
                  <Badge size="sm" variant="light" color={stateColors[d.state] ?? "gray"}>
                    {stateLabels[d.state] ?? d.state}
                  </Badge>
                  {d.state === "pending" && d.nextAttemptTime && (
                    <Text size="xs" c="dimmed">
                      next try {relativeTime(d.nextAttemptTime)}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>{d.attempts}</Table.Td>
                <Table.Td>
                  <Text
                    size="sm"
                    c={d.attempts > 0 && (d.lastStatus === 0 || d.lastStatus >= 400) ? "red" : undefined}
                    style={{ whiteSpace: "nowrap" }}
                  >
                    {statusText(d.lastStatus, d.attempts)}
                  </Text>
                </Table.Td>
                <Table.Td style={{ whiteSpace: "nowrap" }}>{d.attempts > 0 ? responseTime(d.lastDuration) : "—"}</Table.Td>
                <Table.Td miw={200} maw={320}>
                  {d.lastError ? (
                    <Tooltip label={d.lastError} multiline maw={420} withinPortal>
                      <Text size="xs" c="red" lineClamp={2} style={{ wordBreak: "break-word" }}>
                        {d.lastError}
                      </Text>
                    </Tooltip>
                  ) : (
                    <Text size="sm" c="dimmed">
                      —
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>
                  <Text size="sm" style={{ whiteSpace: "nowrap" }}>
                    <time dateTime={isoTime(d.createTime)} title={absoluteTime(d.createTime)}>
                      {relativeTime(d.createTime)}
                    </time>
                  </Text>
                </Table.Td>
                <Table.Td ta="right">
                  <Button
                    size="xs"
                    variant="subtle"
                    disabled={d.state === "pending"}
                    loading={redeliver.isPending && redeliver.variables?.id === d.id}
                    onClick={() => redeliver.mutate(d)}
                  >
                    Redeliver
                  </Button>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {log.isFetchNextPageError && <ErrorAlert error={log.error} title="Could not load more deliveries" />}
      {log.hasNextPage && (
        <Center>
          <Button variant="default" loading={log.isFetchingNextPage} onClick={() => void log.fetchNextPage()}>
            Load more
          </Button>
        </Center>
      )}
    </Stack>
  );
}
