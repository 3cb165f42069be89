import { describe, expect, it } from "vitest";
import { formatSpanDuration, parseDuration } from "../telemetry/duration";
import { applyTraceFilters, durationProblem, traceFiltersFromParams, traceSearchRequest, type TraceFilters } from "./traceFilters";

describe("trace search in the URL", () => {
  it("round-trips every field", () => {
    const f: TraceFilters = {
      range: { quick: "24h" },
      service: "api",
      operation: "GET /users",
      minDuration: "100ms",
      maxDuration: "2s",
      status: "error",
      attributes: ["http.status_code=500"],
    };
    const params = applyTraceFilters(new URLSearchParams(), f);
    expect(params.toString()).toBe("range=24h&service=api&op=GET+%2Fusers&min=100ms&max=2s&status=error&attr=http.status_code%3D500");
    expect(traceFiltersFromParams(params)).toEqual(f);
    expect(traceFiltersFromParams(new URLSearchParams("status=broken")).status).toBe("");
  });

  it("sends durations as protobuf durations and leaves out empty bounds", () => {
    const f = traceFiltersFromParams(new URLSearchParams("min=1.5ms&service=api"));
    const req = traceSearchRequest("ada", "tools", f, { start: new Date(0) });
    expect(req.minDuration).toMatchObject({ seconds: 0n, nanos: 1_500_000 });
    expect(req.maxDuration).toBeUndefined();
    expect(req.endTime).toBeUndefined();
    expect(req).toMatchObject({ owner: "ada", name: "tools", service: "api", status: "", limit: 50 });
  });
});

describe("durations", () => {
  it("reads what people type and refuses the rest", () => {
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration("1.5s")).toBe(1500);
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(parseDuration("500us")).toBe(0.5);
    expect(parseDuration("42")).toBe(42);
    for (const bad of ["", "fast", "5 minutes", "ms", "-1s", "1.5.2s", "2m fast"]) {
      expect(parseDuration(bad), bad).toBeNull();
    }
    expect(durationProblem("2 min")).toMatch(/250ms/);
    expect(durationProblem("")).toBeNull();
  });

  it("writes span lengths at a useful precision", () => {
    expect(formatSpanDuration(0.42)).toBe("420 µs");
    expect(formatSpanDuration(12.345)).toBe("12.3 ms");
    expect(formatSpanDuration(1250)).toBe("1.25 s");
    expect(formatSpanDuration(125_000)).toBe("2m 05s");
  });
});
