import { Box, ScrollArea, Text } from "@mantine/core";
import type { Job } from "../../gen/hearth/v1/pipeline_pb";
import { JobCard } from "./JobCard";
import { latestAttempts, layoutJobs } from "./jobGraph";

interface Props {
  jobs: Job[];
  // The job page's URL.
  jobPath(id: string): string;
  now: number;
}

const cardW = 220;
const cardH = 78;
const gapX = 56;
const gapY = 16;
const headerH = 28;

// JobGraph draws a pipeline's jobs in columns by dependency depth, with an
// edge from each job to the jobs that need it. Wider than the screen, it
// scrolls sideways; cards are links in column order for the keyboard.
export function JobGraph({ jobs, jobPath, now }: Props) {
  const { columns, edges } = layoutJobs(latestAttempts(jobs));
  if (columns.length === 0) {
    return (
      <Text c="dimmed" size="sm">
        This pipeline has no jobs.
      </Text>
    );
  }
  const pos = new Map<string, { x: number; y: number }>();
  columns.forEach((col, c) =>
    col.forEach((j, r) => pos.set(j.name, { x: c * (cardW + gapX), y: headerH + r * (cardH + gapY) })),
  );
  const width = columns.length * (cardW + gapX) - gapX;
  const height = headerH + Math.max(...columns.map((col) => col.length)) * (cardH + gapY) - gapY;

  return (
    <ScrollArea type="auto" offsetScrollbars scrollbarSize={8}>
      <Box pos="relative" w={width} h={height} mb={4} role="group" aria-label="Job graph">
        <svg
          width={width}
          height={height}
          aria-hidden
          data-edges
          style={{ position: "absolute", inset: 0, overflow: "visible", pointerEvents: "none" }}
        >
          {edges.map((e) => {
            const a = pos.get(e.from);
            const b = pos.get(e.to);
            if (!a || !b) {
              return null;
            }
            const x1 = a.x + cardW;
            const y1 = a.y + cardH / 2;
            const x2 = b.x;
            const y2 = b.y + cardH / 2;
            const mid = (x1 + x2) / 2;
            return (
              <path
                key={`${e.from}->${e.to}`}
                d={`M ${x1} ${y1} C ${mid} ${y1}, ${mid} ${y2}, ${x2} ${y2}`}
                fill="none"
                stroke="var(--mantine-color-default-border)"
                strokeWidth={2}
              />
            );
          })}
        </svg>
        {columns.map((col, c) => (
          <Box key={c} component="section" aria-label={`Stage ${c + 1}`} data-column={c}>
            <Text
              size="xs"
              c="dimmed"
              fw={600}
              tt="uppercase"
              pos="absolute"
              left={c * (cardW + gapX)}
              top={0}
              aria-hidden
            >
              {c === 0 ? "First" : `Stage ${c + 1}`}
            </Text>
            {col.map((j) => {
              const p = pos.get(j.name)!;
              return (
                <Box key={j.id} pos="absolute" left={p.x} top={p.y}>
                  <JobCard job={j} to={jobPath(j.id)} now={now} width={cardW} height={cardH} />
                </Box>
              );
            })}
          </Box>
        ))}
      </Box>
    </ScrollArea>
  );
}
