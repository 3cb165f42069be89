import { Badge, Button, Code, Group, Table, Text, VisuallyHidden } from "@mantine/core";
import { EmptyState } from "../EmptyState";
import { ErrorAlert } from "../ErrorAlert";
import { RevokeTokenButton } from "./RevokeTokenButton";
import { TableSkeleton } from "./TableSkeleton";
import { formatDate, formatDateTime, isPast } from "./time";
import { useTokens } from "./useTokens";

// TokenList shows the user's tokens, or why there are none.
export function TokenList({ onCreate }: { onCreate(): void }) {
  const query = useTokens();
  if (query.isPending) {
    return <TableSkeleton label="Loading tokens" />;
  }
  if (query.isError) {
    return <ErrorAlert error={query.error} title="Could not load your tokens" onRetry={() => void query.refetch()} />;
  }
  if (query.data.length === 0) {
    return (
      <EmptyState title="No access tokens" action={<Button onClick={onCreate}>Create a token</Button>}>
        A token lets git and scripts act as you, within the scopes you choose.
      </EmptyState>
    );
  }
  return (
    <Table.ScrollContainer minWidth={720}>
      <Table verticalSpacing="sm" aria-label="Access tokens" highlightOnHover>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th>Scopes</Table.Th>
            <Table.Th>Created</Table.Th>
            <Table.Th>Last used</Table.Th>
            <Table.Th>Expires</Table.Th>
            <Table.Th>
              <VisuallyHidden>Actions</VisuallyHidden>
            </Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {query.data.map((t) => (
            <Table.Tr key={t.id} aria-label={t.name}>
              <Table.Td>
                <Text fw={500} style={{ wordBreak: "break-word" }}>
                  {t.name}
                </Text>
                {t.prefix && (
                  <Code fz="xs" c="dimmed">
                    {t.prefix}…
                  </Code>
                )}
              </Table.Td>
              <Table.Td>
                <Group gap={4}>
                  {t.scopes.map((s) => (
                    <Badge key={s} variant="light" tt="none">
                      {s}
                    </Badge>
                  ))}
                  {t.projectId && (
                    <Badge variant="outline" color="gray" tt="none">
                      one project
                    </Badge>
                  )}
                </Group>
              </Table.Td>
              <Table.Td>{formatDate(t.createTime)}</Table.Td>
              <Table.Td>{formatDateTime(t.lastUsedTime, "Never")}</Table.Td>
              <Table.Td>
                <Text span c={isPast(t.expireTime) ? "red" : undefined} inherit>
                  {formatDate(t.expireTime, "Never")}
                </Text>
              </Table.Td>
              <Table.Td ta="right">
                <RevokeTokenButton token={t} />
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
