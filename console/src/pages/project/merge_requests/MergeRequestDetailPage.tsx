import { Anchor, Button, Divider, Group, Paper, Skeleton, Stack, Tabs, Text, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useParams, useSearchParams } from "react-router";
import { useClient } from "../../../api/useClient";
import { useSession } from "../../../auth/useSession";
import { EmptyState } from "../../../components/EmptyState";
import { ErrorAlert } from "../../../components/ErrorAlert";
import { ReferenceList } from "../../../components/issues/ReferenceList";
import { formatTime, isoTime } from "../../../components/issues/formatTime";
import { parseNumber } from "../../../components/issues/parseNumber";
import { writeErrorTitle } from "../../../components/issues/writeErrorTitle";
import { Markdown } from "../../../components/markdown/Markdown";
import { BranchFlow } from "../../../components/merge_requests/BranchFlow";
import { MergeBlockers } from "../../../components/merge_requests/MergeBlockers";
import { MergePanel } from "../../../components/merge_requests/MergePanel";
import { MergeRequestChanges } from "../../../components/merge_requests/MergeRequestChanges";
import { MergeRequestComments } from "../../../components/merge_requests/MergeRequestComments";
import { MergeRequestStateBadge } from "../../../components/merge_requests/MergeRequestStateBadge";
import { MergeabilityStatus } from "../../../components/merge_requests/MergeabilityStatus";
import { PipelineStatus } from "../../../components/merge_requests/PipelineStatus";
import { ReviewPanel } from "../../../components/merge_requests/ReviewPanel";
import { mergeRequestKey, mergeRequestsKey } from "../../../components/merge_requests/mrKeys";
import { useMergeRequestComments } from "../../../components/merge_requests/useMergeRequestComments";
import { useProjectContext } from "../../../components/project/useProjectContext";
import { MergeRequestService } from "../../../gen/hearth/v1/merge_request_pb";
import { MergeRequestState } from "../../../gen/hearth/v1/merge_request_reference_pb";
import { projectPath } from "../../../routes/paths";

// MergeRequestDetailPage shows one merge request: an overview (status,
// reviews, merge, comments) and its changes (?tab=changes).
export function MergeRequestDetailPage() {
  const project = useProjectContext();
  const number = parseNumber(useParams().number);
  if (number === null) {
    return (
      <EmptyState
        title="No such merge request"
        action={
          <Anchor component={Link} to={projectPath(project.owner, project.name, "merge_requests")}>
            All merge requests
          </Anchor>
        }
      >
        Merge request numbers are whole numbers from 1.
      </EmptyState>
    );
  }
  return <MergeRequestDetail number={number} />;
}

function MergeRequestDetail({ number }: { number: bigint }) {
  const project = useProjectContext();
  const { owner, name } = project;
  const mrs = useClient(MergeRequestService);
  const session = useSession();
  const me = session.user?.username;
  const queryClient = useQueryClient();
  const [params, setParams] = useSearchParams();
  const tab = params.get("tab") === "changes" ? "changes" : "overview";
  const key = mergeRequestKey(owner, name, number);
  const query = useQuery({
    queryKey: key,
    queryFn: ({ signal }) => mrs.getMergeRequest({ owner, name, number }, { signal }).then((r) => r.mergeRequest),
  });
  const comments = useMergeRequestComments(owner, name, number);
  const refreshAll = () => queryClient.invalidateQueries({ queryKey: key });
  const refreshComments = () => comments.refetch();
  const setState = useMutation({
    mutationFn: (change: { state?: MergeRequestState; draft?: boolean }) => mrs.updateMergeRequest({ owner, name, number, ...change }),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: mergeRequestsKey(owner, name) });
    },
  });

  if (query.isPending) {
    return (
      <Stack aria-busy="true" aria-label="Loading the merge request">
        <Skeleton h={32} w="60%" />
        <Skeleton h={16} w={280} />
        <Skeleton h={160} radius="md" />
      </Stack>
    );
  }
  const mr = query.data;
  if (!mr) {
    return (
      <Stack>
        <ErrorAlert error={query.error} title={`Could not open merge request !${number}`} onRetry={() => void query.refetch()} />
        <Anchor component={Link} to={projectPath(owner, name, "merge_requests")}>
          All merge requests
        </Anchor>
      </Stack>
    );
  }
  const open = mr.state === MergeRequestState.OPEN;
  return (
    <Stack gap="md">
      <Stack gap={6}>
        <Title order={2} size="h3" style={{ wordBreak: "break-word" }}>
          {mr.title}{" "}
          <Text span c="dimmed" inherit fw={400}>
            !{mr.number.toString()}
          </Text>
        </Title>
        <Group gap="xs" wrap="wrap">
          <MergeRequestStateBadge state={mr.state} draft={mr.draft} />
          <Text size="sm" c="dimmed">
            {mr.author} wants to merge
          </Text>
          <Text size="sm" component="span">
            <BranchFlow source={mr.sourceBranch} target={mr.targetBranch} />
          </Text>
          <Text size="sm" c="dimmed">
            · opened <time dateTime={isoTime(mr.createTime)}>{formatTime(mr.createTime)}</time>
            {mr.state === MergeRequestState.MERGED &&
              ` · merged${mr.mergedBy ? ` by ${mr.mergedBy}` : ""} ${formatTime(mr.mergeTime)}`}
          </Text>
        </Group>
      </Stack>
      <Tabs
        value={tab}
        keepMounted={false}
        onChange={(v) =>
          setParams((prev) => {
            const next = new URLSearchParams(prev);
            if (v === "changes") {
              next.set("tab", "changes");
            } else {
              next.delete("tab");
            }
            return next;
          })
        }
      >
        <Tabs.List>
          <Tabs.Tab value="overview">Overview</Tabs.Tab>
          <Tabs.Tab value="changes">Changes</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="overview" pt="md">
          <Stack gap="md">
            <Paper withBorder p="md" radius="md">
              {mr.description.trim() ? <Markdown>{mr.description}</Markdown> : <Text c="dimmed">No description.</Text>}
            </Paper>
            <ReferenceList owner={owner} name={name} issues={mr.issueReferences} mergeRequests={mr.mergeRequestReferences} />
            <Paper withBorder p="md" radius="md" component="section" aria-label="Status">
              <Stack gap="sm">
                {open && <MergeabilityStatus status={mr.mergeStatus} />}
                {open && <MergeBlockers blockers={mr.mergeBlockers} />}
                <PipelineStatus
                  owner={owner}
                  name={name}
                  pipelineId={mr.pipelineId}
                  status={mr.pipelineStatus}
                  required={mr.requiresPipeline}
                />
                <ReviewPanel owner={owner} name={name} mr={mr} me={me} canReview={open && !!me} onChanged={() => void refreshAll()} />
                {open && (
                  <>
                    <Divider />
                    <MergePanel owner={owner} name={name} mr={mr} onMerged={() => void queryClient.invalidateQueries({ queryKey: mergeRequestsKey(owner, name) })} />
                  </>
                )}
                {mr.state === MergeRequestState.MERGED && mr.mergeCommitSha && (
                  <Text size="sm">
                    Merge commit <code>{mr.mergeCommitSha.slice(0, 12)}</code>
                  </Text>
                )}
              </Stack>
            </Paper>
            <MergeRequestComments
              project={project}
              number={number}
              comments={comments.data}
              loading={comments.isPending}
              error={comments.error}
              headSha={mr.headCommitSha}
              me={me}
              onChanged={refreshComments}
              onRetry={() => void comments.refetch()}
            />
            {setState.isError && (
              <ErrorAlert
                error={setState.error}
                title={writeErrorTitle(setState.error, project, "Could not change the merge request")}
              />
            )}
            {mr.state !== MergeRequestState.MERGED && (
              <Group justify="flex-end" gap="xs">
                {open && (
                  <Button
                    variant="default"
                    loading={setState.isPending && setState.variables.draft !== undefined}
                    onClick={() => setState.mutate({ draft: !mr.draft })}
                  >
                    {mr.draft ? "Mark as ready" : "Mark as draft"}
                  </Button>
                )}
                <Button
                  variant={open ? "default" : "light"}
                  color={open ? "red" : "green"}
                  loading={setState.isPending && setState.variables.state !== undefined}
                  onClick={() => setState.mutate({ state: open ? MergeRequestState.CLOSED : MergeRequestState.OPEN })}
                >
                  {open ? "Close merge request" : "Reopen merge request"}
                </Button>
              </Group>
            )}
          </Stack>
        </Tabs.Panel>
        <Tabs.Panel value="changes" pt="md">
          <MergeRequestChanges
            owner={owner}
            name={name}
            number={number}
            comments={comments.data ?? []}
            me={me}
            onCommentsChanged={refreshComments}
          />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}
