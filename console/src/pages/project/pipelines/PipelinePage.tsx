import { Alert, Anchor, Breadcrumbs, Code, Group, Skeleton, Stack, Text, Title } from "@mantine/core";
import { IconAlertTriangle } from "@tabler/icons-react";
import { Link, useParams } from "react-router";
import { ErrorAlert } from "../../../components/ErrorAlert";
import { absoluteTime, durationText, shortRef, shortSha } from "../../../components/pipelines/format";
import { JobGraph } from "../../../components/pipelines/JobGraph";
import { PipelineActions } from "../../../components/pipelines/PipelineActions";
import { StateBadge } from "../../../components/pipelines/StateBadge";
import { TriggeredBy } from "../../../components/pipelines/TriggeredBy";
import { usePipeline } from "../../../components/pipelines/usePipelines";
import { useProjectContext } from "../../../components/project/useProjectContext";
import { projectPath } from "../../../routes/paths";

// PipelinePage shows one pipeline: what started it, its job graph (live
// while it runs), and cancel or retry.
export function PipelinePage() {
  const project = useProjectContext();
  const { id = "" } = useParams();
  const query = usePipeline(id);
  const listPath = projectPath(project.owner, project.name, "pipelines");
  const crumbs = (last: string) => (
    <Breadcrumbs>
      <Anchor component={Link} to={listPath} size="sm">
        Pipelines
      </Anchor>
      <Text size="sm">{last}</Text>
    </Breadcrumbs>
  );

  if (query.isPending) {
    return (
      <Stack aria-busy="true" aria-label="Loading the pipeline">
        <Skeleton h={28} w={240} />
        <Skeleton h={20} w={360} />
        <Skeleton h={180} />
      </Stack>
    );
  }
  if (!query.data) {
    return (
      <Stack>
        {crumbs("Not found")}
        <ErrorAlert error={query.error} title="Could not load the pipeline" onRetry={() => void query.refetch()} />
      </Stack>
    );
  }
  const p = query.data;
  const now = Math.max(query.dataUpdatedAt, Date.now());
  const duration = durationText(p.startTime, p.finishTime, now);
  return (
    <Stack gap="md">
      {crumbs(`#${p.number}`)}
      <Group justify="space-between" wrap="wrap" gap="sm">
        <Group gap="sm">
          <Title order={2} size="h3">
            Pipeline #{String(p.number)}
          </Title>
          <StateBadge state={p.state} size="lg" />
        </Group>
        <PipelineActions pipeline={p} readOnly={project.archived} />
      </Group>
      <Text size="sm" c="dimmed">
        {p.event.replace("_", " ")} on <Code>{shortRef(p.ref)}</Code> at{" "}
        <Code title={p.commitSha}>{shortSha(p.commitSha)}</Code> by <TriggeredBy userId={p.triggeredBy} event={p.event} />,{" "}
        {absoluteTime(p.createTime)}
        {duration && ` · ran ${duration}`}
      </Text>
      {Object.keys(p.variables).length > 0 && (
        <Text size="sm" c="dimmed">
          Variables:{" "}
          {Object.keys(p.variables)
            .sort()
            .map((k) => (
              <Code key={k} mr={4}>
                {k}
              </Code>
            ))}
        </Text>
      )}
      {p.error && (
        <Alert
          color="red"
          variant="light"
          icon={<IconAlertTriangle aria-hidden />}
          title="The pipeline could not start: its .hearth.yml is not valid"
          role="alert"
        >
          <Code block style={{ whiteSpace: "pre-wrap" }}>
            {p.error}
          </Code>
          <Text size="sm" mt="xs">
            Fix the file and push again; see docs/pipelines.md for the format.
          </Text>
        </Alert>
      )}
      {(!p.error || p.jobs.length > 0) && (
        <JobGraph jobs={p.jobs} now={now} jobPath={(jobId) => projectPath(project.owner, project.name, `jobs/${jobId}`)} />
      )}
      {query.isRefetchError && <ErrorAlert error={query.error} title="Could not refresh the pipeline" />}
    </Stack>
  );
}
