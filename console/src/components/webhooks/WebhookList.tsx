import { Code } from "@connectrpc/connect";
import { Badge, Button, Group, Stack, Table, Text, VisuallyHidden } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import { Link } from "react-router";
import { errorCode } from "../../api/errors";
import type { Webhook } from "../../gen/hearth/v1/webhook_pb";
import { EmptyState } from "../EmptyState";
import { ErrorAlert } from "../ErrorAlert";
import { ConfirmDialog } from "../tokens/ConfirmDialog";
import { TableSkeleton } from "../tokens/TableSkeleton";
import { formatDateTime } from "../tokens/time";
import { useWebhooks } from "./useWebhooks";
import type { WebhookScope } from "./webhookScope";

interface Props {
  scope: WebhookScope;
  // What the empty list says.
  empty: ReactNode;
}

// WebhookEvents shows what a webhook receives: its event types, or all.
export function WebhookEvents({ events }: { events: readonly string[] }) {
  if (events.length === 0) {
    return (
      <Badge size="sm" variant="light" color="gray">
        All events
      </Badge>
    );
  }
  return (
    <Group gap={4}>
      {events.map((e) => (
        <Badge key={e} size="sm" variant="outline" color="gray" tt="none" ff="monospace">
          {e}
        </Badge>
      ))}
    </Group>
  );
}

// WebhookStatus is Active, or Disabled with the reason the server gave
// (after too many failed deliveries in a row) when there is one.
export function WebhookStatus({ webhook }: { webhook: Webhook }) {
  if (webhook.active) {
    return (
      <Badge size="sm" variant="light" color="green">
        Active
      </Badge>
    );
  }
  return (
    <Stack gap={4} maw={320}>
      <Badge size="sm" variant="light" color="red">
        Disabled
      </Badge>
      {webhook.disabledReason && (
        <Text size="xs" c="red" style={{ wordBreak: "break-word" }}>
          {webhook.disabledReason}
        </Text>
      )}
    </Stack>
  );
}

// WebhookList shows a scope's webhooks: where they post, what, whether
// they are on, and how deliveries went lately; each one is turned on or
// off, deleted, or its delivery log opened.
export function WebhookList({ scope, empty }: Props) {
  const query = useWebhooks(scope);
  const queryClient = useQueryClient();
  const [deleting, setDeleting] = useState<Webhook | null>(null);
  const remove = useMutation({
    mutationFn: (w: Webhook) => scope.remove(w.id),
    onSuccess: (_res, w) => {
      void queryClient.invalidateQueries({ queryKey: scope.queryKey });
      notifications.show({ color: "green", message: `Deleted the webhook to ${w.url}.` });
      setDeleting(null);
    },
  });
  const toggle = useMutation({
    mutationFn: (w: Webhook) => scope.setActive(w.id, !w.active),
    onSuccess: (saved, w) => {
      queryClient.setQueryData<Webhook[]>(scope.queryKey, (old) => (saved ? old?.map((o) => (o.id === saved.id ? saved : o)) : old));
      void queryClient.invalidateQueries({ queryKey: scope.queryKey });
      notifications.show({
        color: "green",
        message: w.active ? `Disabled the webhook to ${w.url}.` : `Enabled the webhook to ${w.url}; its failure count starts over.`,
      });
    },
  });

  if (query.isPending) {
    return <TableSkeleton label="Loading the webhooks" />;
  }
  if (query.isError) {
    const denied = errorCode(query.error) === Code.PermissionDenied;
    return (
      <ErrorAlert
        error={query.error}
        title={denied ? `You may not see the webhooks of ${scope.where} (it needs project:admin).` : "Could not load the webhooks"}
        onRetry={denied ? undefined : () => void query.refetch()}
      />
    );
  }
  if (query.data.length === 0) {
    return <EmptyState title="No webhooks">{empty}</EmptyState>;
  }
  return (
    <>
      {toggle.isError && <ErrorAlert error={toggle.error} title="Could not change the webhook" />}
      <Table.ScrollContainer minWidth={860}>
        <Table verticalSpacing="xs" aria-label="Webhooks">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>URL</Table.Th>
              <Table.Th>Events</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Failures in a row</Table.Th>
              <Table.Th>Created</Table.Th>
              <Table.Th>
                <VisuallyHidden>Actions</VisuallyHidden>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {query.data.map((w) => (
              <Table.Tr key={w.id} aria-label={w.url}>
                <Table.Td miw={220} maw={360}>
                  <Text ff="monospace" size="sm" style={{ wordBreak: "break-all" }}>
                    {w.url}
                  </Text>
                </Table.Td>
                <Table.Td miw={200} maw={280}>
                  <WebhookEvents events={w.events} />
                </Table.Td>
                <Table.Td miw={180}>
                  <WebhookStatus webhook={w} />
                </Table.Td>
                <Table.Td>
                  <Text size="sm" c={w.consecutiveFailures > 0 ? "red" : undefined}>
                    {w.consecutiveFailures}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Text size="sm">{formatDateTime(w.createTime)}</Text>
                  {w.createdBy && (
                    <Text size="xs" c="dimmed">
                      by {w.createdBy}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>
                  <Group gap={4} justify="flex-end" wrap="nowrap">
                    <Button size="xs" variant="subtle" component={Link} to={scope.deliveriesPath(w.id)} aria-label={`Deliveries of ${w.url}`}>
                      Deliveries
                    </Button>
                    <Button
                      size="xs"
                      variant="subtle"
                      color={w.active ? "gray" : undefined}
                      loading={toggle.isPending && toggle.variables?.id === w.id}
                      onClick={() => toggle.mutate(w)}
                      aria-label={`${w.active ? "Disable" : "Enable"} webhook to ${w.url}`}
                    >
                      {w.active ? "Disable" : "Enable"}
                    </Button>
                    <Button size="xs" variant="subtle" color="red" onClick={() => setDeleting(w)} aria-label={`Delete webhook to ${w.url}`}>
                      Delete
                    </Button>
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {deleting && (
        <ConfirmDialog
          opened
          title="Delete webhook?"
          confirmLabel="Delete webhook"
          danger
          loading={remove.isPending}
          error={remove.error}
          onConfirm={() => remove.mutate(deleting)}
          onClose={() => {
            remove.reset();
            setDeleting(null);
          }}
        >
          The webhook to <code style={{ wordBreak: "break-all" }}>{deleting.url}</code> and its delivery log are deleted; this cannot be
          undone. Deliveries still waiting are dropped.
        </ConfirmDialog>
      )}
    </>
  );
}
