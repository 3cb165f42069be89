import { Button, Table, Text, VisuallyHidden } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useClient } from "../../api/useClient";
import { RoleService, type RoleBinding } from "../../gen/hearth/v1/role_pb";
import { EmptyState } from "../EmptyState";
import { ErrorAlert } from "../ErrorAlert";
import { ConfirmDialog } from "../tokens/ConfirmDialog";
import { TableSkeleton } from "../tokens/TableSkeleton";
import { formatDate } from "../tokens/time";
import { bindingsKey, useRoleBindings } from "./useRoles";
import { useUserNames } from "./useUsers";

function scope(b: RoleBinding): string {
  if (b.projectId) {
    return `Project ${b.projectId}`;
  }
  if (b.groupId) {
    return `Group ${b.groupId}`;
  }
  return "Installation-wide";
}

// BindingList shows who holds which role where, and removes a binding.
export function BindingList() {
  const query = useRoleBindings();
  const names = useUserNames();
  const roles = useClient(RoleService);
  const queryClient = useQueryClient();
  const [removing, setRemoving] = useState<RoleBinding | null>(null);
  const remove = useMutation({
    mutationFn: (b: RoleBinding) => roles.deleteRoleBinding({ id: b.id }),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: bindingsKey });
      notifications.show({ color: "green", message: "Removed the role binding." });
      setRemoving(null);
    },
  });

  if (query.isPending) {
    return <TableSkeleton label="Loading role bindings" />;
  }
  if (query.isError) {
    return <ErrorAlert error={query.error} title="Could not load role bindings" onRetry={() => void query.refetch()} />;
  }
  if (query.data.length === 0) {
    return <EmptyState title="No role bindings" />;
  }
  const userName = (id: string) => names.data?.get(id) ?? id;
  return (
    <>
      <Table.ScrollContainer minWidth={600}>
        <Table verticalSpacing="xs" aria-label="Role bindings">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>User</Table.Th>
              <Table.Th>Role</Table.Th>
              <Table.Th>Where</Table.Th>
              <Table.Th>Since</Table.Th>
              <Table.Th>
                <VisuallyHidden>Actions</VisuallyHidden>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {query.data.map((b) => (
              <Table.Tr key={b.id}>
                <Table.Td>{userName(b.userId)}</Table.Td>
                <Table.Td>
                  <Text fw={500} size="sm">
                    {b.roleName}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Text size="sm" style={{ wordBreak: "break-all" }}>
                    {scope(b)}
                  </Text>
                </Table.Td>
                <Table.Td>{formatDate(b.createTime)}</Table.Td>
                <Table.Td ta="right">
                  <Button
                    size="xs"
                    variant="subtle"
                    color="red"
                    onClick={() => setRemoving(b)}
                    aria-label={`Remove ${b.roleName} from ${userName(b.userId)}`}
                  >
                    Remove
                  </Button>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {removing && (
        <ConfirmDialog
          opened
          title="Remove role binding?"
          confirmLabel="Remove"
          danger
          loading={remove.isPending}
          error={remove.error}
          onConfirm={() => remove.mutate(removing)}
          onClose={() => {
            remove.reset();
            setRemoving(null);
          }}
        >
          {userName(removing.userId)} loses the role {removing.roleName} ({scope(removing).toLowerCase()}).
        </ConfirmDialog>
      )}
    </>
  );
}
