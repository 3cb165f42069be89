import { timestampDate } from "@bufbuild/protobuf/wkt";
import { SimpleGrid, Stack, Text } from "@mantine/core";
import type { ReactNode } from "react";
import type { Job } from "../../gen/hearth/v1/pipeline_pb";
import { absoluteTime, durationText, formatDuration } from "./format";
import { stateInfo } from "./pipelineState";


function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Stack gap={0}>
      <Text size="xs" c="dimmed" component="dt">
        {label}
      </Text>
      <Text size="sm" component="dd" m={0}>
        {children}
      </Text>
    </Stack>
  );
}

// JobDetails: a job's state, attempt and timing at a glance.
export function JobDetails({ job, now }: { job: Job; now: number }) {
  const queued = job.createTime && job.startTime ? timestampDate(job.startTime).getTime() - timestampDate(job.createTime).getTime() : null;
  const timeout = job.timeout ? Number(job.timeout.seconds) * 1000 : 0;
  return (
    <SimpleGrid component="dl" cols={{ base: 2, sm: 3, md: 6 }} spacing="sm" m={0}>
      <Field label="State">{stateInfo[job.state]?.label ?? "Unknown"}</Field>
      <Field label="Attempt">{job.attempt}</Field>
      <Field label="Created">{absoluteTime(job.createTime) || "—"}</Field>
      <Field label="Queued for">{queued !== null ? formatDuration(queued) : "—"}</Field>
      <Field label="Duration">{durationText(job.startTime, job.finishTime, now) ?? "—"}</Field>
      <Field label="Timeout">{timeout ? formatDuration(timeout) : "—"}</Field>
    </SimpleGrid>
  );
}
