import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { SearchTracesRequestSchema } from "../../gen/hearth/v1/observe_pb";
import { cleanKeyValues } from "../telemetry/kvFilters";
import { msToDuration, parseDuration } from "../telemetry/duration";
import { applyRange, rangeFromParams, type TimeRange, type Window } from "../telemetry/timeRange";

export const traceStatuses = ["", "ok", "error", "unset"] as const;
export type TraceStatus = (typeof traceStatuses)[number];

// TraceFilters are the trace search's fields, kept in the URL's query
// (?service=api&op=GET%20%2F&min=100ms&max=2s&status=error&attr=k%3Dv&range=6h).
export interface TraceFilters {
  range: TimeRange;
  service: string;
  operation: string;
  // As typed: "250ms", "1.5s", "2m" ("" for no bound).
  minDuration: string;
  maxDuration: string;
  status: TraceStatus;
  attributes: string[];
}

function isStatus(s: string): s is TraceStatus {
  return (traceStatuses as readonly string[]).includes(s);
}

export function traceFiltersFromParams(params: URLSearchParams): TraceFilters {
  const status = params.get("status") ?? "";
  return {
    range: rangeFromParams(params),
    service: params.get("service")?.trim() ?? "",
    operation: params.get("op")?.trim() ?? "",
    minDuration: params.get("min")?.trim() ?? "",
    maxDuration: params.get("max")?.trim() ?? "",
    status: isStatus(status) ? status : "",
    attributes: cleanKeyValues(params.getAll("attr")),
  };
}

export function applyTraceFilters(params: URLSearchParams, f: TraceFilters): URLSearchParams {
  const next = applyRange(params, f.range);
  const fields: [string, string][] = [
    ["service", f.service.trim()],
    ["op", f.operation.trim()],
    ["min", f.minDuration.trim()],
    ["max", f.maxDuration.trim()],
    ["status", f.status],
  ];
  for (const [k, v] of fields) {
    if (v) {
      next.set(k, v);
    } else {
      next.delete(k);
    }
  }
  next.delete("attr");
  for (const a of cleanKeyValues(f.attributes)) {
    next.append("attr", a);
  }
  return next;
}

// durationProblem says why a typed duration is not one (null when it is
// empty or fine).
export function durationProblem(text: string): string | null {
  return text.trim() === "" || parseDuration(text) !== null ? null : "Write it as 250ms, 1.5s or 2m";
}

export const traceSearchLimit = 50;

// traceSearchRequest is SearchTraces' request for filters over window
// (durations that do not parse are left out: the form refuses them).
export function traceSearchRequest(owner: string, name: string, f: TraceFilters, window: Window): MessageInitShape<typeof SearchTracesRequestSchema> {
  const min = parseDuration(f.minDuration);
  const max = parseDuration(f.maxDuration);
  return {
    owner,
    name,
    startTime: timestampFromDate(window.start),
    endTime: window.end && timestampFromDate(window.end),
    service: f.service,
    operation: f.operation,
    minDuration: min !== null && min > 0 ? msToDuration(min) : undefined,
    maxDuration: max !== null && max > 0 ? msToDuration(max) : undefined,
    status: f.status,
    attributes: f.attributes,
    limit: traceSearchLimit,
  };
}

export function traceFiltersKey(f: TraceFilters): string {
  return applyTraceFilters(new URLSearchParams(), f).toString();
}
