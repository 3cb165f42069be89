import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { QueryMetricsRequestSchema } from "../../gen/hearth/v1/observe_pb";
import { cleanKeyValues } from "../telemetry/kvFilters";
import { msToDuration, parseDuration } from "../telemetry/duration";
import { applyRange, rangeFromParams, rangeMs, type TimeRange, type Window } from "../telemetry/timeRange";

export const aggregations = ["avg", "sum", "min", "max", "count", "rate", "quantile"] as const;
export type Aggregation = (typeof aggregations)[number];

// Steps offered besides "auto" (the server's: the range / 60).
export const stepChoices = ["10s", "30s", "1m", "5m", "15m", "1h", "1d"] as const;

// The server refuses more steps than this per series.
export const maxSteps = 11_000;

// MetricQuery is how one metric is charted, kept in the URL's query
// (?agg=quantile&q=0.95&by=http.route&label=service%3Dapi&step=1m&range=6h).
export interface MetricQuery {
  range: TimeRange;
  aggregation: Aggregation;
  // For quantile: 0-1.
  quantile: number;
  groupBy: string[];
  // "key=value" label equality.
  labels: string[];
  // "" is auto; otherwise a duration as written ("1m").
  step: string;
}

export const defaultQuantile = 0.99;

function isAggregation(s: string): s is Aggregation {
  return (aggregations as readonly string[]).includes(s);
}

export function metricQueryFromParams(params: URLSearchParams): MetricQuery {
  const agg = params.get("agg") ?? "";
  const q = Number(params.get("q"));
  const step = params.get("step") ?? "";
  return {
    range: rangeFromParams(params),
    aggregation: isAggregation(agg) ? agg : "avg",
    quantile: params.has("q") && Number.isFinite(q) && q >= 0 && q <= 1 ? q : defaultQuantile,
    groupBy: [...new Set(params.getAll("by").map((s) => s.trim()).filter(Boolean))],
    labels: cleanKeyValues(params.getAll("label")),
    step: parseDuration(step) ? step : "",
  };
}

export function applyMetricQuery(params: URLSearchParams, m: MetricQuery): URLSearchParams {
  const next = applyRange(params, m.range);
  for (const k of ["agg", "q", "by", "label", "step"]) {
    next.delete(k);
  }
  if (m.aggregation !== "avg") {
    next.set("agg", m.aggregation);
  }
  if (m.aggregation === "quantile" && m.quantile !== defaultQuantile) {
    next.set("q", String(m.quantile));
  }
  for (const b of m.groupBy) {
    next.append("by", b);
  }
  for (const l of cleanKeyValues(m.labels)) {
    next.append("label", l);
  }
  if (m.step) {
    next.set("step", m.step);
  }
  return next;
}

export function metricQueryKey(m: MetricQuery): string {
  return applyMetricQuery(new URLSearchParams(), m).toString();
}

// stepProblem says why a step does not suit a range (null when it does).
export function stepProblem(m: MetricQuery): string | null {
  const step = parseDuration(m.step);
  if (!m.step || step === null) {
    return null;
  }
  if (step < 1000) {
    return "The step must be at least a second.";
  }
  if (rangeMs(m.range) / step > maxSteps) {
    return `That step makes more than ${maxSteps.toLocaleString()} points: choose a longer one or a shorter range.`;
  }
  return null;
}

export function metricRequest(owner: string, name: string, metric: string, m: MetricQuery, window: Window): MessageInitShape<typeof QueryMetricsRequestSchema> {
  const step = parseDuration(m.step);
  return {
    owner,
    name,
    metric,
    startTime: timestampFromDate(window.start),
    endTime: window.end && timestampFromDate(window.end),
    step: step ? msToDuration(step) : undefined,
    labels: m.labels,
    aggregation: m.aggregation,
    quantile: m.aggregation === "quantile" ? m.quantile : 0,
    groupBy: m.groupBy,
  };
}
