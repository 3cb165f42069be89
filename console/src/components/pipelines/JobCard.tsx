import { Anchor, Group, Paper, Stack, Text } from "@mantine/core";
import { Link } from "react-router";
import type { Job } from "../../gen/hearth/v1/pipeline_pb";
import { durationText } from "./format";
import { stateInfo } from "./pipelineState";

interface Props {
  job: Job;
  to: string;
  now: number;
  width: number;
  height: number;
}

// JobCard is one job in the pipeline's graph: its state, name, duration
// and what it needs; the whole card links to the job's page.
export function JobCard({ job, to, now, width, height }: Props) {
  const info = stateInfo[job.state] ?? stateInfo[0];
  const Icon = info.icon;
  const duration = durationText(job.startTime, job.finishTime, now);
  const label = `${job.name}: ${info.label}${duration ? `, ${duration}` : ""}`;
  return (
    <Paper
      component={Link}
      to={to}
      withBorder
      radius="md"
      p="xs"
      w={width}
      h={height}
      aria-label={label}
      data-job={job.name}
      style={{
        display: "block",
        textDecoration: "none",
        color: "inherit",
        borderLeft: `4px solid var(--mantine-color-${info.color}-filled)`,
      }}
    >
      <Stack gap={2}>
        <Group gap={6} wrap="nowrap">
          <Icon size={18} aria-hidden color={`var(--mantine-color-${info.color}-filled)`} style={{ flexShrink: 0 }} />
          <Anchor component="span" fw={600} size="sm" truncate="end" title={job.name}>
            {job.name}
          </Anchor>
        </Group>
        <Text size="xs" c="dimmed" truncate="end">
          {info.label}
          {duration && ` · ${duration}`}
          {job.attempt > 1 && ` · attempt ${job.attempt}`}
        </Text>
        <Text size="xs" c="dimmed" truncate="end" title={job.needs.length ? `needs ${job.needs.join(", ")}` : undefined}>
          {job.needs.length ? `needs ${job.needs.join(", ")}` : "\u00a0"}
        </Text>
      </Stack>
    </Paper>
  );
}
