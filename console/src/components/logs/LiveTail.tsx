import { Badge, Group, Stack, Text, Tooltip } from "@mantine/core";
import { describeError } from "../../api/errors";
import type { LogRecord } from "../../gen/hearth/v1/observe_pb";
import { EmptyState } from "../EmptyState";
import { ErrorAlert } from "../ErrorAlert";
import type { LogFilters } from "./logFilters";
import { tailCap, type TailStatus } from "./logTail";
import { LogTable } from "./LogTable";
import { useLogTail } from "./useLogTail";

interface Props {
  owner: string;
  name: string;
  filters: LogFilters;
  // Records already on screen, newest first: the tail starts on top of them.
  seed: LogRecord[];
}

const statusBadge: Record<TailStatus, { label: string; color: string }> = {
  connecting: { label: "Connecting…", color: "gray" },
  live: { label: "Live", color: "green" },
  reconnecting: { label: "Reconnecting…", color: "yellow" },
  stopped: { label: "Stopped", color: "red" },
};

// LiveTail shows records as they arrive (TailLogs), newest on top, at most
// tailCap of them; the stream ends when it unmounts.
export function LiveTail({ owner, name, filters, seed }: Props) {
  const tail = useLogTail(owner, name, filters, seed);
  const badge = statusBadge[tail.status];
  return (
    <Stack gap="xs">
      <Group gap="xs" wrap="wrap">
        <Badge color={badge.color} variant="dot" aria-live="polite">
          {badge.label}
        </Badge>
        {tail.dropped > 0 && (
          <Tooltip label="The server let these go because this page fell behind">
            <Badge color="orange" variant="light">
              {tail.dropped.toLocaleString()} dropped
            </Badge>
          </Tooltip>
        )}
        {tail.trimmed > 0 && (
          <Text size="xs" c="dimmed">
            Showing the newest {tailCap.toLocaleString()}; {tail.trimmed.toLocaleString()} older records were let go.
          </Text>
        )}
      </Group>
      {tail.status === "stopped" && <ErrorAlert error={tail.error} title="The live tail stopped" />}
      {tail.status === "reconnecting" && tail.error !== null && (
        <Text size="xs" c="dimmed">
          {describeError(tail.error).title}
        </Text>
      )}
      {tail.entries.length === 0 ? (
        <EmptyState title="Waiting for records">New records matching the filters appear here as they arrive.</EmptyState>
      ) : (
        <LogTable owner={owner} name={name} entries={tail.entries} />
      )}
    </Stack>
  );
}
