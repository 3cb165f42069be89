// OTLP/JSON exports (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding):
// ids in hex, 64-bit times as decimal strings, posted to hearth's
// OTLP/HTTP endpoints with a project token holding observe:write.

type AnyValue = { stringValue: string } | { intValue: string } | { doubleValue: number } | { boolValue: boolean };
export type KeyValue = { key: string; value: AnyValue };

export function attrs(map: Record<string, string>): KeyValue[] {
  return Object.entries(map).map(([key, v]) => ({ key, value: { stringValue: v } }));
}

// nanos is a time in Unix nanoseconds as OTLP/JSON writes it.
export function nanos(ms: number, extraNs = 0): string {
  return (BigInt(Math.round(ms)) * 1_000_000n + BigInt(extraNs)).toString();
}

export function resource(service: string, extra: Record<string, string> = {}) {
  return { attributes: attrs({ "service.name": service, ...extra }) };
}

export interface LogInput {
  atMs: number;
  severityNumber: number;
  severityText: string;
  body: string;
  attributes?: Record<string, string>;
  traceId?: string;
  spanId?: string;
}

export function logsExport(service: string, logs: LogInput[]) {
  return {
    resourceLogs: [
      {
        resource: resource(service, { "host.name": "e2e-host" }),
        scopeLogs: [
          {
            scope: { name: "hearth-e2e" },
            logRecords: logs.map((l) => ({
              timeUnixNano: nanos(l.atMs),
              observedTimeUnixNano: nanos(l.atMs),
              severityNumber: l.severityNumber,
              severityText: l.severityText,
              body: { stringValue: l.body },
              attributes: attrs(l.attributes ?? {}),
              ...(l.traceId ? { traceId: l.traceId, spanId: l.spanId } : {}),
            })),
          },
        ],
      },
    ],
  };
}

export interface SpanInput {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  // OTLP span kinds: 1 internal, 2 server, 3 client.
  kind: number;
  startMs: number;
  durationMs: number;
  // OTLP status codes: 0 unset, 1 ok, 2 error.
  status: { code: number; message?: string };
  attributes?: Record<string, string>;
  events?: { atMs: number; name: string; attributes?: Record<string, string> }[];
}

// tracesExport puts each span under its own service's resource.
export function tracesExport(spans: SpanInput[]) {
  return {
    resourceSpans: spans.map((s) => ({
      resource: resource(s.service),
      scopeSpans: [
        {
          scope: { name: "hearth-e2e" },
          spans: [
            {
              traceId: s.traceId,
              spanId: s.spanId,
              ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
              name: s.name,
              kind: s.kind,
              startTimeUnixNano: nanos(s.startMs),
              endTimeUnixNano: nanos(s.startMs + s.durationMs),
              status: s.status,
              attributes: attrs(s.attributes ?? {}),
              events: (s.events ?? []).map((e) => ({ timeUnixNano: nanos(e.atMs), name: e.name, attributes: attrs(e.attributes ?? {}) })),
            },
          ],
        },
      ],
    })),
  };
}

// gaugeExport: one gauge, its points (each with its labels) from service.
export function gaugeExport(service: string, name: string, unit: string, points: { atMs: number; value: number; labels: Record<string, string> }[]) {
  return {
    resourceMetrics: [
      {
        resource: resource(service),
        scopeMetrics: [
          {
            scope: { name: "hearth-e2e" },
            metrics: [
              {
                name,
                unit,
                gauge: {
                  dataPoints: points.map((p) => ({ timeUnixNano: nanos(p.atMs), asDouble: p.value, attributes: attrs(p.labels) })),
                },
              },
            ],
          },
        ],
      },
    ],
  };
}

// postOTLP sends an export to /v1/{logs,traces,metrics} and requires that
// nothing in it was refused.
export async function postOTLP(baseURL: string, token: string, signal: "logs" | "traces" | "metrics", body: unknown): Promise<void> {
  const res = await fetch(`${baseURL}/v1/${signal}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) {
    throw new Error(`POST /v1/${signal}: ${res.status} ${text}`);
  }
  const answer = text ? (JSON.parse(text) as { partialSuccess?: Record<string, unknown> }) : {};
  const rejected = Object.entries(answer.partialSuccess ?? {}).filter(([k, v]) => k.startsWith("rejected") && Number(v) > 0);
  if (rejected.length > 0) {
    throw new Error(`POST /v1/${signal} refused some items: ${text}`);
  }
}
