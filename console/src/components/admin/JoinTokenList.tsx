import { Badge, Button, Code, Skeleton, Table, Text, VisuallyHidden } from "@mantine/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useClient } from "../../api/useClient";
import { ClusterService, type JoinToken } from "../../gen/hearth/v1/cluster_pb";
import { ErrorAlert } from "../ErrorAlert";
import { ConfirmDialog } from "../tokens/ConfirmDialog";
import { formatDateTime, isPast } from "../tokens/time";
import { joinTokensKey, useJoinTokens } from "./useClusters";

function state(t: JoinToken): { label: string; color: string; live: boolean } {
  if (t.revokeTime) {
    return { label: "Revoked", color: "red", live: false };
  }
  if (isPast(t.expireTime)) {
    return { label: "Expired", color: "gray", live: false };
  }
  if (t.maxUses > 0 && t.uses >= t.maxUses) {
    return { label: "Used up", color: "gray", live: false };
  }
  return { label: "Valid", color: "green", live: true };
}

// JoinTokenList shows a cluster's join tokens (never their secrets) and
// revokes one.
export function JoinTokenList({ clusterId, clusterName }: { clusterId: string; clusterName: string }) {
  const query = useJoinTokens(clusterId);
  const clusters = useClient(ClusterService);
  const queryClient = useQueryClient();
  const [revoking, setRevoking] = useState<JoinToken | null>(null);
  const revoke = useMutation({
    mutationFn: (t: JoinToken) => clusters.revokeJoinToken({ clusterId, id: t.id }),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: joinTokensKey(clusterId) });
      setRevoking(null);
    },
  });
  if (query.isPending) {
    return <Skeleton h={40} aria-label={`Loading the join tokens of ${clusterName}`} />;
  }
  if (query.isError) {
    return <ErrorAlert error={query.error} title="Could not load the join tokens" onRetry={() => void query.refetch()} />;
  }
  if (query.data.length === 0) {
    return (
      <Text size="sm" c="dimmed">
        No join tokens.
      </Text>
    );
  }
  return (
    <>
      <Table.ScrollContainer minWidth={560}>
        <Table verticalSpacing="xs" aria-label={`Join tokens of ${clusterName}`}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Token</Table.Th>
              <Table.Th>State</Table.Th>
              <Table.Th>Uses</Table.Th>
              <Table.Th>Expires</Table.Th>
              <Table.Th>
                <VisuallyHidden>Actions</VisuallyHidden>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {query.data.map((t) => {
              const s = state(t);
              return (
                <Table.Tr key={t.id}>
                  <Table.Td>
                    <Code fz="xs">hjt_{t.prefix}…</Code>
                    {t.description && (
                      <Text size="xs" c="dimmed">
                        {t.description}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Badge color={s.color} variant="light">
                      {s.label}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    {t.uses} / {t.maxUses === 0 ? "∞" : t.maxUses}
                  </Table.Td>
                  <Table.Td>{formatDateTime(t.expireTime)}</Table.Td>
                  <Table.Td ta="right">
                    {s.live && (
                      <Button size="xs" variant="subtle" color="red" onClick={() => setRevoking(t)} aria-label={`Revoke join token hjt_${t.prefix}`}>
                        Revoke
                      </Button>
                    )}
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {revoking && (
        <ConfirmDialog
          opened
          title="Revoke join token?"
          confirmLabel="Revoke"
          danger
          loading={revoke.isPending}
          error={revoke.error}
          onConfirm={() => revoke.mutate(revoking)}
          onClose={() => {
            revoke.reset();
            setRevoking(null);
          }}
        >
          No further agent can register with it. Agents it already registered keep working.
        </ConfirmDialog>
      )}
    </>
  );
}
