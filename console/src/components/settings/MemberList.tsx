import { Badge, Button, Center, Stack, Table, Text, VisuallyHidden } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useClient } from "../../api/useClient";
import { NamespaceKind, ProjectService, type Project } from "../../gen/hearth/v1/project_pb";
import { EmptyState } from "../EmptyState";
import { ErrorAlert } from "../ErrorAlert";
import { ConfirmDialog } from "../tokens/ConfirmDialog";
import { TableSkeleton } from "../tokens/TableSkeleton";
import { formatDate } from "../tokens/time";
import { membersKey, useMembers } from "./useMembers";

// MemberList pages through the project's direct members; maintainers may
// remove one.
export function MemberList({ project, canAdmin }: { project: Project; canAdmin: boolean }) {
  const query = useMembers(project.owner, project.name);
  const projects = useClient(ProjectService);
  const queryClient = useQueryClient();
  const [removing, setRemoving] = useState<string | null>(null);
  const remove = useMutation({
    mutationFn: (username: string) => projects.removeProjectMember({ owner: project.owner, name: project.name, username }),
    onSuccess: (_res, username) => {
      void queryClient.invalidateQueries({ queryKey: membersKey(project.owner, project.name) });
      notifications.show({ color: "green", message: `Removed ${username} from the project.` });
      setRemoving(null);
    },
  });

  if (query.isPending) {
    return <TableSkeleton label="Loading members" />;
  }
  if (!query.data) {
    return <ErrorAlert error={query.error} title="Could not load the members" onRetry={() => void query.refetch()} />;
  }
  const members = query.data.pages.flatMap((p) => p.members);
  if (members.length === 0) {
    return (
      <EmptyState title="No direct members">
        Nobody has a role on this project itself{project.namespaceKind === NamespaceKind.GROUP ? "; the group's members have theirs on the group" : ""}.
      </EmptyState>
    );
  }
  return (
    <Stack>
      <Table.ScrollContainer minWidth={420}>
        <Table verticalSpacing="xs" aria-label="Members">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>User</Table.Th>
              <Table.Th>Role</Table.Th>
              <Table.Th>Since</Table.Th>
              {canAdmin && (
                <Table.Th>
                  <VisuallyHidden>Actions</VisuallyHidden>
                </Table.Th>
              )}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {members.map((m) => (
              <Table.Tr key={`${m.username}/${m.role}`} aria-label={m.username}>
                <Table.Td>
                  <Text fw={500} size="sm">
                    {m.username}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Badge variant="light" tt="none">
                    {m.role}
                  </Badge>
                </Table.Td>
                <Table.Td>{formatDate(m.createTime)}</Table.Td>
                {canAdmin && (
                  <Table.Td ta="right">
                    <Button size="xs" variant="subtle" color="red" onClick={() => setRemoving(m.username)} aria-label={`Remove ${m.username}`}>
                      Remove
                    </Button>
                  </Table.Td>
                )}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {query.isFetchNextPageError && <ErrorAlert error={query.error} title="Could not load more members" />}
      {query.hasNextPage && (
        <Center>
          <Button variant="default" loading={query.isFetchingNextPage} onClick={() => void query.fetchNextPage()}>
            Load more
          </Button>
        </Center>
      )}
      {removing && (
        <ConfirmDialog
          opened
          title="Remove member?"
          confirmLabel="Remove member"
          danger
          loading={remove.isPending}
          error={remove.error}
          onConfirm={() => remove.mutate(removing)}
          onClose={() => {
            remove.reset();
            setRemoving(null);
          }}
        >
          {removing} loses every role they hold on {project.owner}/{project.name} itself.
        </ConfirmDialog>
      )}
    </Stack>
  );
}
