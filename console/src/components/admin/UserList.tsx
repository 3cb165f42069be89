import { Badge, Button, Center, Group, Stack, Table, Text, VisuallyHidden } from "@mantine/core";
import { EmptyState } from "../EmptyState";
import { ErrorAlert } from "../ErrorAlert";
import { TableSkeleton } from "../tokens/TableSkeleton";
import { formatDate } from "../tokens/time";
import { UserActions } from "./UserActions";
import { useUsers } from "./useUsers";

// UserList pages through the accounts matching search.
export function UserList({ search }: { search: string }) {
  const query = useUsers(search);
  if (query.isPending) {
    return <TableSkeleton label="Loading users" />;
  }
  if (!query.data) {
    return <ErrorAlert error={query.error} title="Could not load users" onRetry={() => void query.refetch()} />;
  }
  const users = query.data.pages.flatMap((p) => p.users);
  if (users.length === 0) {
    return <EmptyState title={search ? "No matching users" : "No users"}>{search ? `Nobody matches “${search}”.` : null}</EmptyState>;
  }
  return (
    <Stack>
      <Table.ScrollContainer minWidth={640}>
        <Table verticalSpacing="sm" aria-label="Users" highlightOnHover>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>User</Table.Th>
              <Table.Th>Email</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Created</Table.Th>
              <Table.Th>
                <VisuallyHidden>Actions</VisuallyHidden>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {users.map((u) => (
              <Table.Tr key={u.id} aria-label={u.username}>
                <Table.Td>
                  <Text fw={500}>{u.username}</Text>
                  {u.displayName && (
                    <Text size="xs" c="dimmed">
                      {u.displayName}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td style={{ wordBreak: "break-all" }}>{u.email}</Table.Td>
                <Table.Td>
                  <Group gap={4}>
                    {u.active ? (
                      <Badge color="green" variant="light">
                        Active
                      </Badge>
                    ) : (
                      <Badge color="gray" variant="outline">
                        Deactivated
                      </Badge>
                    )}
                    {u.admin && (
                      <Badge color="orange" variant="light">
                        Admin
                      </Badge>
                    )}
                    {u.mustChangePassword && (
                      <Badge color="yellow" variant="outline">
                        Must change password
                      </Badge>
                    )}
                  </Group>
                </Table.Td>
                <Table.Td>{formatDate(u.createTime)}</Table.Td>
                <Table.Td ta="right">
                  <UserActions user={u} />
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {query.isFetchNextPageError && <ErrorAlert error={query.error} title="Could not load more users" />}
      {query.hasNextPage && (
        <Center>
          <Button variant="default" loading={query.isFetchingNextPage} onClick={() => void query.fetchNextPage()}>
            Load more
          </Button>
        </Center>
      )}
    </Stack>
  );
}
