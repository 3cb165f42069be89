import { Anchor, Badge, Button, Table, Text, VisuallyHidden } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useQueries } from "@tanstack/react-query";
import { Link } from "react-router";
import { useClient } from "../../api/useClient";
import type { Subscription } from "../../gen/hearth/v1/notification_pb";
import { ProjectService, type Project } from "../../gen/hearth/v1/project_pb";
import { projectPath } from "../../routes/paths";
import { EmptyState } from "../EmptyState";
import { ErrorAlert } from "../ErrorAlert";
import { TableSkeleton } from "../tokens/TableSkeleton";
import { formatDateTime } from "../tokens/time";
import { levelLabel } from "./subscriptionLevels";
import { useSetSubscription, useSubscriptions } from "./useSubscriptions";

const levelColors: Record<string, string> = { watch: "blue", participate: "gray", mute: "red" };

// threadPath is where a subscription's thread lives ("#12": an issue,
// "!3": a merge request); null for anything else.
function threadPath(p: Project, subject: string): string | null {
  const m = /^([#!])(\d+)$/.exec(subject);
  if (!m) {
    return null;
  }
  return projectPath(p.owner, p.name, `${m[1] === "#" ? "issues" : "merge_requests"}/${m[2]}`);
}

function subscriptionKey(s: Subscription) {
  return `${s.projectId}\u0000${s.subject}`;
}

// SubscriptionList shows the levels the user set on projects and threads,
// each project by its name where it can still be read. A level goes back
// to the default with Reset.
export function SubscriptionList() {
  const query = useSubscriptions();
  const projects = useClient(ProjectService);
  const setLevel = useSetSubscription();
  const ids = [...new Set((query.data ?? []).map((s) => s.projectId))];
  const named = useQueries({
    queries: ids.map((id) => ({
      queryKey: ["project-by-id", id],
      queryFn: ({ signal }: { signal: AbortSignal }) => projects.getProjectById({ id }, { signal }).then((r) => r.project ?? null),
      staleTime: 5 * 60_000,
    })),
  });
  const byId = new Map<string, Project>();
  named.forEach((q, i) => {
    if (q.data) {
      byId.set(ids[i], q.data);
    }
  });

  if (query.isPending) {
    return <TableSkeleton label="Loading your subscriptions" />;
  }
  if (query.isError) {
    return <ErrorAlert error={query.error} title="Could not load your subscriptions" onRetry={() => void query.refetch()} />;
  }
  if (query.data.length === 0) {
    return (
      <EmptyState title="No subscriptions">
        You get the default everywhere: threads you take part in and what is meant for you. Choose Watch or Mute from a
        project&apos;s page.
      </EmptyState>
    );
  }
  const reset = (s: Subscription, p: Project) =>
    setLevel.mutate(
      { projectId: s.projectId, owner: p.owner, name: p.name, subject: s.subject, level: "" },
      {
        onSuccess: () => notifications.show({ color: "green", message: `${p.owner}/${p.name}${s.subject ? ` ${s.subject}` : ""} is back to the default.` }),
      },
    );
  return (
    <>
      {setLevel.isError && <ErrorAlert error={setLevel.error} title="Could not change the subscription" />}
      <Table.ScrollContainer minWidth={640}>
        <Table verticalSpacing="xs" aria-label="Subscriptions">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Project</Table.Th>
              <Table.Th>Thread</Table.Th>
              <Table.Th>Level</Table.Th>
              <Table.Th>Changed</Table.Th>
              <Table.Th>
                <VisuallyHidden>Actions</VisuallyHidden>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {query.data.map((s) => {
              const p = byId.get(s.projectId);
              const name = p ? `${p.owner}/${p.name}` : s.projectId;
              const thread = p && s.subject ? threadPath(p, s.subject) : null;
              return (
                <Table.Tr key={subscriptionKey(s)} aria-label={`${name}${s.subject ? ` ${s.subject}` : ""}`}>
                  <Table.Td>
                    {p ? (
                      <Anchor component={Link} to={projectPath(p.owner, p.name)}>
                        {name}
                      </Anchor>
                    ) : (
                      <Text size="sm" ff="monospace">
                        {s.projectId}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    {!s.subject ? (
                      <Text size="sm" c="dimmed">
                        Whole project
                      </Text>
                    ) : thread ? (
                      <Anchor component={Link} to={thread}>
                        {s.subject}
                      </Anchor>
                    ) : (
                      s.subject
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Badge variant="light" color={levelColors[s.level] ?? "gray"}>
                      {levelLabel(s.level)}
                    </Badge>
                  </Table.Td>
                  <Table.Td>{formatDateTime(s.updateTime)}</Table.Td>
                  <Table.Td ta="right">
                    {p && (
                      <Button
                        size="xs"
                        variant="subtle"
                        loading={setLevel.isPending && setLevel.variables?.projectId === s.projectId && setLevel.variables.subject === s.subject}
                        onClick={() => reset(s, p)}
                        aria-label={`Reset ${name}${s.subject ? ` ${s.subject}` : ""} to the default`}
                      >
                        Reset
                      </Button>
                    )}
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </>
  );
}
