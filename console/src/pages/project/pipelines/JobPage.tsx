import { Alert, Anchor, Breadcrumbs, Group, Skeleton, Stack, Text, Title } from "@mantine/core";
import { useQueryClient } from "@tanstack/react-query";
import { Link, useParams } from "react-router";
import { ErrorAlert } from "../../../components/ErrorAlert";
import { ArtifactList } from "../../../components/pipelines/ArtifactList";
import { JobActions } from "../../../components/pipelines/JobActions";
import { JobDetails } from "../../../components/pipelines/JobDetails";
import { JobLog } from "../../../components/pipelines/JobLog";
import { isFinished } from "../../../components/pipelines/pipelineState";
import { StateBadge } from "../../../components/pipelines/StateBadge";
import { artifactsKey, jobKey, pipelineKey, useJob, usePipeline } from "../../../components/pipelines/usePipelines";
import { useProjectContext } from "../../../components/project/useProjectContext";
import { PipelineState } from "../../../gen/hearth/v1/pipeline_pb";
import { projectPath } from "../../../routes/paths";

// JobPage shows one job attempt: its state and timing, cancel or retry,
// its artifacts and its log, streamed live.
export function JobPage() {
  const project = useProjectContext();
  const { id = "" } = useParams();
  const query = useJob(id);
  const pipeline = usePipeline(query.data?.pipelineId ?? "");
  const queryClient = useQueryClient();
  const jobPath = (jobId: string) => projectPath(project.owner, project.name, `jobs/${jobId}`);
  const listPath = projectPath(project.owner, project.name, "pipelines");

  if (query.isPending) {
    return (
      <Stack aria-busy="true" aria-label="Loading the job">
        <Skeleton h={28} w={240} />
        <Skeleton h={48} />
        <Skeleton h={320} />
      </Stack>
    );
  }
  if (!query.data) {
    return (
      <Stack>
        <Anchor component={Link} to={listPath} size="sm">
          Pipelines
        </Anchor>
        <ErrorAlert error={query.error} title="Could not load the job" onRetry={() => void query.refetch()} />
      </Stack>
    );
  }
  const job = query.data;
  const now = Math.max(query.dataUpdatedAt, Date.now());
  const attempts = (pipeline.data?.jobs ?? []).filter((j) => j.name === job.name).sort((a, b) => a.attempt - b.attempt);
  const superseded = attempts.some((j) => j.attempt > job.attempt);
  const onFinal = (_state: PipelineState) => {
    void queryClient.invalidateQueries({ queryKey: jobKey(job.id) });
    void queryClient.invalidateQueries({ queryKey: artifactsKey(job.id) });
    void queryClient.invalidateQueries({ queryKey: pipelineKey(job.pipelineId) });
  };
  return (
    <Stack gap="md">
      <Breadcrumbs>
        <Anchor component={Link} to={listPath} size="sm">
          Pipelines
        </Anchor>
        <Anchor component={Link} to={projectPath(project.owner, project.name, `pipelines/${job.pipelineId}`)} size="sm">
          {pipeline.data ? `#${pipeline.data.number}` : "Pipeline"}
        </Anchor>
        <Text size="sm">{job.name}</Text>
      </Breadcrumbs>
      <Group justify="space-between" wrap="wrap" gap="sm">
        <Group gap="sm">
          <Title order={2} size="h3" style={{ wordBreak: "break-word" }}>
            {job.name}
          </Title>
          <StateBadge state={job.state} size="lg" />
        </Group>
        <JobActions job={job} jobPath={jobPath} readOnly={project.archived} superseded={superseded} />
      </Group>
      {job.message && (
        <Alert
          color={job.state === PipelineState.SUCCESS ? "gray" : "red"}
          variant="light"
          title={job.exitCode ? `${job.message} (exit code ${job.exitCode})` : job.message}
        />
      )}
      <JobDetails job={job} now={now} />
      {attempts.length > 1 && (
        <Group gap="xs" aria-label="Attempts">
          <Text size="sm" c="dimmed">
            Attempts:
          </Text>
          {attempts.map((a) =>
            a.id === job.id ? (
              <Text key={a.id} size="sm" fw={700} aria-current="page">
                {a.attempt}
              </Text>
            ) : (
              <Anchor key={a.id} component={Link} to={jobPath(a.id)} size="sm">
                {a.attempt}
              </Anchor>
            ),
          )}
        </Group>
      )}
      <JobLog key={job.id} jobId={job.id} stepNames={job.stepNames} onFinal={onFinal} />
      <ArtifactList jobId={job.id} finished={isFinished(job.state)} />
    </Stack>
  );
}
