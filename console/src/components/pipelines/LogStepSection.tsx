import { Box, Group, Loader, Text, UnstyledButton } from "@mantine/core";
import { IconChevronDown, IconChevronRight } from "@tabler/icons-react";
import { useId, useState } from "react";

interface Props {
  index: number;
  name: string;
  // The step has printed something.
  hasOutput: boolean;
  // Bytes of this step are arriving now.
  current: boolean;
  // The log is complete.
  done: boolean;
  wrap: boolean;
  // Where the sink appends the step's text (outside React).
  outputRef: (el: HTMLElement | null) => void;
}

// LogStepSection is one step of a job's log: a header that folds it, and
// the output LogSink fills.
export function LogStepSection({ index, name, hasOutput, current, done, wrap, outputRef }: Props) {
  const [open, setOpen] = useState(true);
  const bodyId = useId();
  return (
    <Box component="section" aria-label={`Step ${index}: ${name}`} data-step={index}>
      <UnstyledButton
        onClick={() => setOpen((o) => !o)}
        aria-expanded={open}
        aria-controls={bodyId}
        w="100%"
        px="sm"
        py={4}
        style={{
          position: "sticky",
          left: 0,
          background: "var(--mantine-color-dark-6)",
          color: "var(--mantine-color-gray-3)",
          borderTop: index > 0 ? "1px solid var(--mantine-color-dark-4)" : undefined,
        }}
      >
        <Group gap={6} wrap="nowrap">
          {open ? <IconChevronDown size={14} aria-hidden /> : <IconChevronRight size={14} aria-hidden />}
          <Text span size="sm" fw={600} ff="monospace" style={{ whiteSpace: "nowrap" }}>
            {name}
          </Text>
          {current && <Loader size={12} color="gray" aria-label="Running" />}
          {!hasOutput && (done || !current) && (
            <Text span size="xs" c="dimmed">
              {done ? "no output" : "waiting"}
            </Text>
          )}
        </Group>
      </UnstyledButton>
      <Box id={bodyId} hidden={!open}>
        <pre
          ref={outputRef}
          data-testid={`log-step-${index}`}
          style={{
            margin: 0,
            padding: hasOutput ? "4px 12px 8px" : 0,
            whiteSpace: wrap ? "pre-wrap" : "pre",
            overflowWrap: wrap ? "anywhere" : undefined,
            fontFamily: "var(--mantine-font-family-monospace)",
            fontSize: 13,
            lineHeight: 1.45,
            width: wrap ? undefined : "max-content",
            minWidth: "100%",
          }}
        />
      </Box>
    </Box>
  );
}
