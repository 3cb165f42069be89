import { applyRange, rangeFromParams, type TimeRange } from "../telemetry/timeRange";
import { cleanKeyValues } from "../telemetry/kvFilters";
import { isSeverityValue, minSeverity, type SeverityValue } from "./severity";

// LogFilters are the logs explorer's filters, kept in the URL's query
// (?range=6h&service=api&service=web&severity=warn&attr=k%3Dv&q=timeout&re=1)
// so a reload or a shared link shows the same records.
export interface LogFilters {
  range: TimeRange;
  services: string[];
  // The lowest level shown; "" shows every record.
  severity: SeverityValue | "";
  // "key=value" on a record's or its resource's attributes.
  attributes: string[];
  // Text the body contains, or a regular expression it matches.
  q: string;
  regexp: boolean;
}

function unique(values: string[]): string[] {
  return [...new Set(values.map((v) => v.trim()).filter(Boolean))];
}

export function logFiltersFromParams(params: URLSearchParams): LogFilters {
  const severity = params.get("severity") ?? "";
  return {
    range: rangeFromParams(params),
    services: unique(params.getAll("service")),
    severity: isSeverityValue(severity) ? severity : "",
    attributes: cleanKeyValues(params.getAll("attr")),
    q: params.get("q") ?? "",
    regexp: params.get("re") === "1",
  };
}

// applyLogFilters writes filters into a copy of params (defaults left out,
// other parameters kept).
export function applyLogFilters(params: URLSearchParams, f: LogFilters): URLSearchParams {
  const next = applyRange(params, f.range);
  for (const k of ["service", "severity", "attr", "q", "re"]) {
    next.delete(k);
  }
  for (const s of unique(f.services)) {
    next.append("service", s);
  }
  if (f.severity) {
    next.set("severity", f.severity);
  }
  for (const a of cleanKeyValues(f.attributes)) {
    next.append("attr", a);
  }
  if (f.q) {
    next.set("q", f.q);
    if (f.regexp) {
      next.set("re", "1");
    }
  }
  return next;
}

// logMatch is what QueryLogs and TailLogs both take from the filters.
export function logMatch(f: LogFilters) {
  return {
    services: f.services,
    minSeverity: minSeverity(f.severity),
    attributes: f.attributes,
    contains: f.regexp ? "" : f.q,
    regexp: f.regexp ? f.q : "",
  };
}

// logFiltersKey is a stable string of the filters for cache keys.
export function logFiltersKey(f: LogFilters): string {
  return applyLogFilters(new URLSearchParams(), f).toString();
}
