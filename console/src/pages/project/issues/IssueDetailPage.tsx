import { Anchor, Button, Grid, Group, Paper, Skeleton, Stack, Text, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useParams } from "react-router";
import { useClient } from "../../../api/useClient";
import { EmptyState } from "../../../components/EmptyState";
import { ErrorAlert } from "../../../components/ErrorAlert";
import { IssueComments } from "../../../components/issues/IssueComments";
import { IssueStateBadge } from "../../../components/issues/IssueStateBadge";
import { LabelBadge } from "../../../components/issues/LabelBadge";
import { ReferenceList } from "../../../components/issues/ReferenceList";
import { formatTime, isoTime } from "../../../components/issues/formatTime";
import { parseNumber } from "../../../components/issues/parseNumber";
import { issueKey, issuesKey } from "../../../components/issues/issueKeys";
import { useLabels } from "../../../components/issues/useLabels";
import { writeErrorTitle } from "../../../components/issues/writeErrorTitle";
import { Markdown } from "../../../components/markdown/Markdown";
import { useProjectContext } from "../../../components/project/useProjectContext";
import { IssueService, IssueState } from "../../../gen/hearth/v1/issue_pb";
import { projectPath } from "../../../routes/paths";

// IssueDetailPage shows one issue, its comments, and closes or reopens it.
export function IssueDetailPage() {
  const project = useProjectContext();
  const number = parseNumber(useParams().number);
  if (number === null) {
    return (
      <EmptyState title="No such issue" action={<Anchor component={Link} to={projectPath(project.owner, project.name, "issues")}>All issues</Anchor>}>
        Issue numbers are whole numbers from 1.
      </EmptyState>
    );
  }
  return <IssueDetail number={number} />;
}

function IssueDetail({ number }: { number: bigint }) {
  const project = useProjectContext();
  const { owner, name } = project;
  const issues = useClient(IssueService);
  const labels = useLabels(owner, name);
  const queryClient = useQueryClient();
  const key = issueKey(owner, name, number);
  const query = useQuery({
    queryKey: key,
    queryFn: ({ signal }) => issues.getIssue({ owner, name, number }, { signal }).then((r) => r.issue),
  });
  const setState = useMutation({
    mutationFn: (state: IssueState) => issues.updateIssue({ owner, name, number, state }),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: issuesKey(owner, name) });
    },
  });

  if (query.isPending) {
    return (
      <Stack aria-busy="true" aria-label="Loading the issue">
        <Skeleton h={32} w="60%" />
        <Skeleton h={16} w={240} />
        <Skeleton h={120} radius="md" />
      </Stack>
    );
  }
  const issue = query.data;
  if (!issue) {
    return (
      <Stack>
        <ErrorAlert error={query.error} title={`Could not open issue #${number}`} onRetry={() => void query.refetch()} />
        <Anchor component={Link} to={projectPath(owner, name, "issues")}>
          All issues
        </Anchor>
      </Stack>
    );
  }
  const open = issue.state !== IssueState.CLOSED;
  return (
    <Stack gap="md">
      <Stack gap={6}>
        <Title order={2} size="h3" style={{ wordBreak: "break-word" }}>
          {issue.title}{" "}
          <Text span c="dimmed" inherit fw={400}>
            #{issue.number.toString()}
          </Text>
        </Title>
        <Group gap="xs" wrap="wrap">
          <IssueStateBadge state={issue.state} />
          <Text size="sm" c="dimmed">
            {issue.author} opened this on <time dateTime={isoTime(issue.createTime)}>{formatTime(issue.createTime)}</time>
            {!open && issue.closeTime && ` · closed ${formatTime(issue.closeTime)}`}
          </Text>
        </Group>
      </Stack>
      {setState.isError && (
        <ErrorAlert
          error={setState.error}
          title={writeErrorTitle(setState.error, project, open ? "Could not close the issue" : "Could not reopen the issue")}
        />
      )}
      <Grid gutter="md">
        <Grid.Col span={{ base: 12, md: 9 }}>
          <Stack gap="md">
            <Paper withBorder p="md" radius="md">
              {issue.body.trim() ? <Markdown>{issue.body}</Markdown> : <Text c="dimmed">No description.</Text>}
            </Paper>
            <IssueComments project={project} number={number} />
            <Group justify="flex-end">
              <Button
                variant={open ? "default" : "light"}
                color={open ? "violet" : "green"}
                loading={setState.isPending}
                onClick={() => setState.mutate(open ? IssueState.CLOSED : IssueState.OPEN)}
              >
                {open ? "Close issue" : "Reopen issue"}
              </Button>
            </Group>
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 3 }}>
          <Stack gap="md" component="aside" aria-label="Details">
            <Stack gap={4}>
              <Text size="sm" fw={600}>
                Labels
              </Text>
              {issue.labels.length ? (
                <Group gap={6}>
                  {issue.labels.map((l) => (
                    <LabelBadge key={l} name={l} label={labels.byName.get(l.toLowerCase())} />
                  ))}
                </Group>
              ) : (
                <Text size="sm" c="dimmed">
                  None
                </Text>
              )}
            </Stack>
            <Stack gap={4}>
              <Text size="sm" fw={600}>
                Assignees
              </Text>
              <Text size="sm" c={issue.assignees.length ? undefined : "dimmed"}>
                {issue.assignees.length ? issue.assignees.join(", ") : "No one"}
              </Text>
            </Stack>
            <ReferenceList owner={owner} name={name} issues={issue.references} mergeRequests={issue.mergeRequestReferences} />
          </Stack>
        </Grid.Col>
      </Grid>
    </Stack>
  );
}
