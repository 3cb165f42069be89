import { Anchor, Badge, Box, Button, Group, Paper, Text } from "@mantine/core";
import { IconArrowDown, IconTextWrap } from "@tabler/icons-react";
import { useCallback, useEffect, useRef, useState } from "react";
import { useClient } from "../../api/useClient";
import { PipelineService, type PipelineState } from "../../gen/hearth/v1/pipeline_pb";
import { ErrorAlert } from "../ErrorAlert";
import { followJobLog, type FollowStatus } from "./logFollower";
import { LogSink } from "./logSink";
import { LogStepSection } from "./LogStepSection";

interface Props {
  jobId: string;
  // Log steps: 0 is the checkout, then one per script step.
  stepNames: string[];
  // The job ended (every byte of its log arrived).
  onFinal?(state: PipelineState): void;
}

const statusText: Record<FollowStatus, string> = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  done: "Complete",
  failed: "Stopped",
};

export function stepName(stepNames: string[], i: number): string {
  return stepNames[i] || (i === 0 ? "Checkout" : `Step ${i}`);
}

// JobLog streams a job's log live (FollowJobLog), resuming a broken stream
// where it stopped, and keeps the newest line in view while the reader is
// at the bottom. Scrolling up stops following; "Follow" or scrolling back
// to the end starts it again.
export function JobLog({ jobId, stepNames, onFinal }: Props) {
  const client = useClient(PipelineService);
  const [status, setStatus] = useState<FollowStatus>("connecting");
  const [error, setError] = useState<unknown>(null);
  const [seen, setSeen] = useState<number[]>([]);
  const [run, setRun] = useState(0);
  const [following, setFollowingState] = useState(true);
  const [wrap, setWrap] = useState(false);
  const boxRef = useRef<HTMLDivElement>(null);
  const followingRef = useRef(true);
  // Where the log was scrolled to by following; the reader scrolled up
  // when it is above that.
  const autoTopRef = useRef(0);
  const onFinalRef = useRef(onFinal);
  useEffect(() => {
    onFinalRef.current = onFinal;
  }, [onFinal]);

  const scrollToEnd = useCallback(() => {
    const box = boxRef.current;
    if (box) {
      box.scrollTop = box.scrollHeight;
      autoTopRef.current = box.scrollTop;
    }
  }, []);
  const setFollowing = useCallback(
    (on: boolean) => {
      followingRef.current = on;
      setFollowingState(on);
      if (on) {
        scrollToEnd();
      }
    },
    [scrollToEnd],
  );

  const sinkRef = useRef<LogSink | null>(null);
  if (sinkRef.current === null) {
    sinkRef.current = new LogSink(() => {
      if (followingRef.current) {
        scrollToEnd();
      }
    });
  }
  const sink = sinkRef.current;

  useEffect(() => {
    const seenSteps = new Set<number>();
    const ac = new AbortController();
    sink.reset();
    setSeen([]);
    setError(null);
    void followJobLog(client, jobId, ac.signal, {
      onText(step, text) {
        sink.append(step, text);
        if (!seenSteps.has(step)) {
          seenSteps.add(step);
          setSeen([...seenSteps].sort((a, b) => a - b));
        }
      },
      onStatus(s, err) {
        setStatus(s);
        setError(err ?? null);
      },
      onFinal(state) {
        onFinalRef.current?.(state);
      },
    });
    return () => {
      ac.abort();
      sink.stop();
    };
  }, [client, jobId, run, sink]);

  // A new step's header grows the log too: stay at the end.
  useEffect(() => {
    if (followingRef.current) {
      scrollToEnd();
    }
  }, [seen, scrollToEnd]);

  const onScroll = () => {
    const box = boxRef.current;
    if (!box) {
      return;
    }
    const atEnd = box.scrollHeight - box.scrollTop - box.clientHeight <= 4;
    if (atEnd) {
      if (!followingRef.current) {
        setFollowing(true);
      }
    } else if (followingRef.current && box.scrollTop < autoTopRef.current - 2) {
      setFollowing(false);
    }
  };

  const maxSeen = seen.length ? seen[seen.length - 1] : -1;
  const count = Math.max(stepNames.length, maxSeen + 1);
  const done = status === "done";
  const live = status === "live" || status === "connecting" || status === "reconnecting";

  return (
    <Paper withBorder radius="md" style={{ overflow: "hidden" }}>
      <Group justify="space-between" px="sm" py={6} gap="xs" wrap="wrap">
        <Group gap="xs">
          <Text fw={600} size="sm" component="h2" m={0}>
            Log
          </Text>
          <Badge
            size="sm"
            variant="dot"
            color={status === "live" ? "green" : status === "failed" ? "red" : status === "done" ? "gray" : "yellow"}
            role="status"
            aria-live="polite"
          >
            {statusText[status]}
          </Badge>
        </Group>
        <Group gap={6}>
          <Button
            size="compact-sm"
            variant={wrap ? "light" : "subtle"}
            leftSection={<IconTextWrap size={14} aria-hidden />}
            aria-pressed={wrap}
            onClick={() => setWrap((w) => !w)}
          >
            Wrap lines
          </Button>
          <Button
            size="compact-sm"
            variant={following ? "light" : "subtle"}
            leftSection={<IconArrowDown size={14} aria-hidden />}
            aria-pressed={following}
            onClick={() => setFollowing(!following)}
          >
            Follow
          </Button>
          <Anchor href={`/api/v1/jobs/${encodeURIComponent(jobId)}/log`} target="_blank" rel="noopener" size="sm">
            Raw
          </Anchor>
        </Group>
      </Group>
      {status === "failed" && (
        <Box px="sm" pb="sm">
          <ErrorAlert error={error} title="The log stopped streaming" onRetry={() => setRun((r) => r + 1)} />
        </Box>
      )}
      <Box
        ref={boxRef}
        onScroll={onScroll}
        tabIndex={0}
        role="region"
        aria-label="Job log"
        aria-busy={status === "connecting"}
        mah="70vh"
        mih={120}
        style={{
          overflow: "auto",
          background: "var(--mantine-color-dark-8)",
          color: "var(--mantine-color-gray-2)",
          overscrollBehavior: "contain",
        }}
      >
        {Array.from({ length: count }, (_, i) => (
          <LogStepSection
            key={i}
            index={i}
            name={stepName(stepNames, i)}
            hasOutput={seen.includes(i)}
            current={live && i === maxSeen}
            done={done}
            wrap={wrap}
            outputRef={sink.ref(i)}
          />
        ))}
        {count === 0 && (
          <Text size="sm" c="dimmed" p="sm">
            {done ? "This job wrote no log." : "Waiting for the job to start…"}
          </Text>
        )}
      </Box>
    </Paper>
  );
}
