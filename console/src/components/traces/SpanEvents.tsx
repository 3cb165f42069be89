import { Stack, Text } from "@mantine/core";
import type { SpanEvent } from "../../gen/hearth/v1/observe_pb";
import { AttributeTable } from "../telemetry/AttributeTable";
import { formatSpanDuration, timestampNs } from "../telemetry/duration";

interface Props {
  events: SpanEvent[];
  spanStartNs: bigint;
}

// SpanEvents lists a span's events, each at its time from the span's start.
export function SpanEvents({ events, spanStartNs }: Props) {
  return (
    <Stack gap={4}>
      <Text size="xs" fw={600}>
        Events
      </Text>
      {events.length === 0 ? (
        <Text size="xs" c="dimmed">
          No events.
        </Text>
      ) : (
        <Stack gap="xs" component="ol" aria-label="Span events" style={{ listStyle: "none", padding: 0, margin: 0 }}>
          {events.map((e, i) => (
            <li key={i}>
              <Text size="xs">
                <Text span ff="monospace" c="dimmed">
                  +{formatSpanDuration(Number(timestampNs(e.time) - spanStartNs) / 1e6)}
                </Text>{" "}
                {e.name}
              </Text>
              {Object.keys(e.attributes).length > 0 && <AttributeTable label={`Attributes of ${e.name}`} attributes={e.attributes} />}
            </li>
          ))}
        </Stack>
      )}
    </Stack>
  );
}
