import { Code } from "@connectrpc/connect";
import { Badge, Button, Group, Table, Text, VisuallyHidden } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import { errorCode } from "../../api/errors";
import type { Secret } from "../../gen/hearth/v1/secret_pb";
import { EmptyState } from "../EmptyState";
import { ErrorAlert } from "../ErrorAlert";
import { ConfirmDialog } from "../tokens/ConfirmDialog";
import { TableSkeleton } from "../tokens/TableSkeleton";
import { formatDateTime } from "../tokens/time";
import type { SecretScope } from "./secretScope";
import { environmentLabel, secretTitle, usageLabel } from "./secretRules";
import { useSecrets } from "./useSecrets";

interface Props {
  scope: SecretScope;
  // Whether the user may change the secrets (secret:write).
  canWrite: boolean;
  onEdit(secret: Secret): void;
  // What the empty list says.
  empty: ReactNode;
}

// SecretList shows a scope's secrets: their metadata only, as values are
// write-only. Writers edit and delete them.
export function SecretList({ scope, canWrite, onEdit, empty }: Props) {
  const query = useSecrets(scope);
  const queryClient = useQueryClient();
  const [deleting, setDeleting] = useState<Secret | null>(null);
  const remove = useMutation({
    mutationFn: (s: Secret) => scope.remove(s),
    onSuccess: (_res, s) => {
      void queryClient.invalidateQueries({ queryKey: scope.queryKey });
      notifications.show({ color: "green", message: `Deleted the secret ${secretTitle(s)}.` });
      setDeleting(null);
    },
  });

  if (query.isPending) {
    return <TableSkeleton label="Loading the secrets" />;
  }
  if (query.isError) {
    const denied = errorCode(query.error) === Code.PermissionDenied;
    return (
      <ErrorAlert
        error={query.error}
        title={denied ? `You may not see the secrets of ${scope.where} (it needs secret:read).` : "Could not load the secrets"}
        onRetry={denied ? undefined : () => void query.refetch()}
      />
    );
  }
  if (query.data.length === 0) {
    return <EmptyState title="No secrets">{empty}</EmptyState>;
  }
  return (
    <>
      <Table.ScrollContainer minWidth={900}>
        <Table verticalSpacing="xs" aria-label="Secrets">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Environment</Table.Th>
              <Table.Th>Version</Table.Th>
              <Table.Th>Protected</Table.Th>
              <Table.Th>Usages</Table.Th>
              <Table.Th>Description</Table.Th>
              <Table.Th>Updated by</Table.Th>
              <Table.Th>Updated</Table.Th>
              {canWrite && (
                <Table.Th>
                  <VisuallyHidden>Actions</VisuallyHidden>
                </Table.Th>
              )}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {query.data.map((s) => (
              <Table.Tr key={`${s.name}\u0000${s.environment}`} aria-label={secretTitle(s)}>
                <Table.Td>
                  <Text ff="monospace" size="sm" style={{ whiteSpace: "nowrap" }}>
                    {s.name}
                  </Text>
                </Table.Td>
                <Table.Td>
                  {s.environment ? (
                    <Text ff="monospace" size="sm">
                      {s.environment}
                    </Text>
                  ) : (
                    <Text size="sm" c="dimmed">
                      {environmentLabel(s.environment)}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>v{s.version}</Table.Td>
                <Table.Td>
                  {s.protected ? (
                    <Badge size="sm" variant="light" color="orange">
                      Protected
                    </Badge>
                  ) : (
                    <Text size="sm" c="dimmed">
                      No
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>
                  <Group gap={4}>
                    {s.usages.map((u) => (
                      <Badge key={u} size="sm" variant="outline" color="gray">
                        {usageLabel(u)}
                      </Badge>
                    ))}
                  </Group>
                </Table.Td>
                <Table.Td>
                  <Text size="sm" lineClamp={2} maw={280}>
                    {s.description}
                  </Text>
                </Table.Td>
                <Table.Td>{s.updatedBy || "—"}</Table.Td>
                <Table.Td>{formatDateTime(s.updateTime)}</Table.Td>
                {canWrite && (
                  <Table.Td>
                    <Group gap={4} justify="flex-end" wrap="nowrap">
                      <Button size="xs" variant="subtle" onClick={() => onEdit(s)} aria-label={`Edit secret ${secretTitle(s)}`}>
                        Edit
                      </Button>
                      <Button size="xs" variant="subtle" color="red" onClick={() => setDeleting(s)} aria-label={`Delete secret ${secretTitle(s)}`}>
                        Delete
                      </Button>
                    </Group>
                  </Table.Td>
                )}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {deleting && (
        <ConfirmDialog
          opened
          title="Delete secret?"
          confirmLabel="Delete secret"
          danger
          loading={remove.isPending}
          error={remove.error}
          onConfirm={() => remove.mutate(deleting)}
          onClose={() => {
            remove.reset();
            setDeleting(null);
          }}
        >
          <code>{deleting.name}</code> ({deleting.environment ? `environment ${deleting.environment}` : "all environments"}) and
          all its versions are deleted; this cannot be undone. Jobs that ask for it no longer receive it from {scope.where}.
        </ConfirmDialog>
      )}
    </>
  );
}
