import { Badge, Button, Group, Table, Text, VisuallyHidden } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useClient } from "../../api/useClient";
import type { Project } from "../../gen/hearth/v1/project_pb";
import { RefRuleService, type ProtectedRef } from "../../gen/hearth/v1/refrule_pb";
import { EmptyState } from "../EmptyState";
import { ErrorAlert } from "../ErrorAlert";
import { ConfirmDialog } from "../tokens/ConfirmDialog";
import { TableSkeleton } from "../tokens/TableSkeleton";
import { refRulesKey, useRefRules } from "./useRefRules";

function yes(b: boolean) {
  return b ? "Allowed" : "No";
}

interface Props {
  project: Project;
  canAdmin: boolean;
  onEdit(rule: ProtectedRef): void;
}

// RefRuleList shows the project's protection rules; maintainers edit and
// delete them.
export function RefRuleList({ project, canAdmin, onEdit }: Props) {
  const query = useRefRules(project.owner, project.name);
  const rules = useClient(RefRuleService);
  const queryClient = useQueryClient();
  const [deleting, setDeleting] = useState<ProtectedRef | null>(null);
  const remove = useMutation({
    mutationFn: (r: ProtectedRef) => rules.deleteProtectedRef({ owner: project.owner, name: project.name, kind: r.kind, pattern: r.pattern }),
    onSuccess: (_res, r) => {
      void queryClient.invalidateQueries({ queryKey: refRulesKey(project.owner, project.name) });
      notifications.show({ color: "green", message: `Deleted the rule for ${r.pattern}.` });
      setDeleting(null);
    },
  });

  if (query.isPending) {
    return <TableSkeleton label="Loading protection rules" />;
  }
  if (query.isError) {
    return <ErrorAlert error={query.error} title="Could not load the protection rules" onRetry={() => void query.refetch()} />;
  }
  if (query.data.length === 0) {
    return (
      <EmptyState title="No protection rules">
        The default branch ({project.defaultBranch}) is still protected against force pushes and deletion.
      </EmptyState>
    );
  }
  return (
    <>
      <Table.ScrollContainer minWidth={760}>
        <Table verticalSpacing="xs" aria-label="Protection rules">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Pattern</Table.Th>
              <Table.Th>Push</Table.Th>
              <Table.Th>Force push</Table.Th>
              <Table.Th>Deletion</Table.Th>
              <Table.Th>Approvals</Table.Th>
              <Table.Th>Pipeline</Table.Th>
              {canAdmin && (
                <Table.Th>
                  <VisuallyHidden>Actions</VisuallyHidden>
                </Table.Th>
              )}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {query.data.map((r) => (
              <Table.Tr key={`${r.kind}:${r.pattern}`} aria-label={`${r.kind} ${r.pattern}`}>
                <Table.Td>
                  <Group gap={6} wrap="nowrap">
                    <Badge size="xs" variant="outline" color="gray">
                      {r.kind}
                    </Badge>
                    <Text ff="monospace" size="sm" style={{ wordBreak: "break-all" }}>
                      {r.pattern}
                    </Text>
                  </Group>
                </Table.Td>
                <Table.Td>{r.pushPermission === "project:admin" ? "Maintainers" : "Writers"}</Table.Td>
                <Table.Td>{yes(r.allowForcePush)}</Table.Td>
                <Table.Td>{yes(r.allowDeletion)}</Table.Td>
                <Table.Td>{r.kind === "branch" ? r.requiredApprovals : "—"}</Table.Td>
                <Table.Td>{r.kind === "branch" ? (r.requirePipeline ? "Must pass" : "Not required") : "—"}</Table.Td>
                {canAdmin && (
                  <Table.Td>
                    <Group gap={4} justify="flex-end" wrap="nowrap">
                      <Button size="xs" variant="subtle" onClick={() => onEdit(r)} aria-label={`Edit ${r.kind} rule ${r.pattern}`}>
                        Edit
                      </Button>
                      <Button size="xs" variant="subtle" color="red" onClick={() => setDeleting(r)} aria-label={`Delete ${r.kind} rule ${r.pattern}`}>
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
          title="Delete protection rule?"
          confirmLabel="Delete rule"
          danger
          loading={remove.isPending}
          error={remove.error}
          onConfirm={() => remove.mutate(deleting)}
          onClose={() => {
            remove.reset();
            setDeleting(null);
          }}
        >
          {deleting.kind === "branch" ? "Branches" : "Tags"} matching <code>{deleting.pattern}</code> lose this protection.
        </ConfirmDialog>
      )}
    </>
  );
}
