import { Anchor, Code, Group, SimpleGrid, Stack, Text } from "@mantine/core";
import { Link } from "react-router";
import type { LogRecord } from "../../gen/hearth/v1/observe_pb";
import { projectPath } from "../../routes/paths";
import { AttributeTable } from "../telemetry/AttributeTable";
import { formatInstant } from "../telemetry/duration";

interface Props {
  owner: string;
  name: string;
  record: LogRecord;
}

// LogDetails is an expanded log record: its whole body, the trace it
// belongs to (a link to the trace's waterfall), its attributes and its
// resource's.
export function LogDetails({ owner, name, record }: Props) {
  return (
    <Stack gap="xs" py={4}>
      <Code block style={{ whiteSpace: "pre-wrap", wordBreak: "break-word" }}>
        {record.body}
      </Code>
      <Group gap="lg" wrap="wrap">
        {record.traceId ? (
          <Text size="xs">
            Trace{" "}
            <Anchor component={Link} to={projectPath(owner, name, `traces/${record.traceId}`)} ff="monospace" size="xs">
              {record.traceId}
            </Anchor>
            {record.spanId && (
              <Text span size="xs" c="dimmed" ff="monospace">
                {" "}
                span {record.spanId}
              </Text>
            )}
          </Text>
        ) : (
          <Text size="xs" c="dimmed">
            Not part of a trace.
          </Text>
        )}
        {record.observedTime && (
          <Text size="xs" c="dimmed">
            Observed {formatInstant(record.observedTime)}
          </Text>
        )}
      </Group>
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
        <Stack gap={2}>
          <Text size="xs" fw={600}>
            Attributes
          </Text>
          <AttributeTable label="Attributes" attributes={record.attributes} />
        </Stack>
        <Stack gap={2}>
          <Text size="xs" fw={600}>
            Resource attributes
          </Text>
          <AttributeTable label="Resource attributes" attributes={record.resourceAttributes} />
        </Stack>
      </SimpleGrid>
    </Stack>
  );
}
