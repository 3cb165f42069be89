import { describe, expect, it } from "vitest";
import { applyMetricQuery, metricQueryFromParams, metricRequest, stepProblem, type MetricQuery } from "./metricFilters";

describe("a metric query in the URL", () => {
  it("round-trips aggregation, quantile, grouping, label filters, range and step", () => {
    const q: MetricQuery = {
      range: { quick: "6h" },
      aggregation: "quantile",
      quantile: 0.95,
      groupBy: ["http.route", "service"],
      labels: ["service=api"],
      step: "1m",
    };
    const params = applyMetricQuery(new URLSearchParams(), q);
    expect(params.toString()).toBe("range=6h&agg=quantile&q=0.95&by=http.route&by=service&label=service%3Dapi&step=1m");
    expect(metricQueryFromParams(params)).toEqual(q);
  });

  it("defaults to the average over the last hour, auto step, p99, and drops nonsense", () => {
    const q = metricQueryFromParams(new URLSearchParams("agg=median&q=7&step=soon&label=bad"));
    expect(q).toEqual({ range: { quick: "1h" }, aggregation: "avg", quantile: 0.99, groupBy: [], labels: [], step: "" });
    expect(applyMetricQuery(new URLSearchParams("agg=rate"), q).toString()).toBe("");
  });

  it("refuses a step that would make too many points, and asks with the step and quantile", () => {
    const q = metricQueryFromParams(new URLSearchParams("range=7d&step=10s"));
    expect(stepProblem(q)).toMatch(/more than 11,000 points/);
    expect(stepProblem({ ...q, step: "1m" })).toBeNull();
    const req = metricRequest("ada", "tools", "http.duration", { ...q, step: "1m", aggregation: "quantile", quantile: 0.5 }, {
      start: new Date(0),
      end: new Date(60_000),
    });
    expect(req.step).toMatchObject({ seconds: 60n, nanos: 0 });
    expect(req.quantile).toBe(0.5);
    expect(metricRequest("a", "b", "m", { ...q, step: "" }, { start: new Date(0) }).step).toBeUndefined();
  });
});
