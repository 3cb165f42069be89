import { describe, expect, it } from "vitest";
import { applyLogFilters, logFiltersFromParams, logMatch, type LogFilters } from "./logFilters";

describe("log filters in the URL", () => {
  it("round-trips every filter through the query string", () => {
    const filters: LogFilters = {
      range: { from: new Date("2026-12-07T10:00:00.000Z"), to: new Date("2026-12-07T11:30:00.000Z") },
      services: ["api", "web"],
      severity: "warn",
      attributes: ["http.route=/users/{id}", "k=a=b"],
      q: "time(out|d)",
      regexp: true,
    };
    const params = applyLogFilters(new URLSearchParams("other=kept"), filters);
    expect(params.toString()).toBe(
      "other=kept&from=2026-12-07T10%3A00%3A00.000Z&to=2026-12-07T11%3A30%3A00.000Z&service=api&service=web&severity=warn&attr=http.route%3D%2Fusers%2F%7Bid%7D&attr=k%3Da%3Db&q=time%28out%7Cd%29&re=1",
    );
    expect(logFiltersFromParams(new URLSearchParams(params.toString()))).toEqual(filters);
  });

  it("leaves defaults out and reads a bare URL as the last hour, everything", () => {
    const none = logFiltersFromParams(new URLSearchParams());
    expect(none).toEqual({ range: { quick: "1h" }, services: [], severity: "", attributes: [], q: "", regexp: false });
    expect(applyLogFilters(new URLSearchParams("range=6h&severity=error&q=x&re=1"), none).toString()).toBe("");
    expect(applyLogFilters(new URLSearchParams(), { ...none, range: { quick: "15m" } }).toString()).toBe("range=15m");
  });

  it("ignores what it cannot use rather than failing", () => {
    const f = logFiltersFromParams(
      new URLSearchParams("range=3y&severity=loud&attr=novalue&attr==v&attr=ok=1&service=%20&service=api&service=api&from=garbage&to=2026-01-01"),
    );
    expect(f.range).toEqual({ quick: "1h" });
    expect(f.severity).toBe("");
    expect(f.attributes).toEqual(["ok=1"]);
    expect(f.services).toEqual(["api"]);
    // A custom range whose end comes first is no range.
    expect(logFiltersFromParams(new URLSearchParams("from=2026-12-07T11:00:00Z&to=2026-12-07T10:00:00Z&range=24h")).range).toEqual({
      quick: "24h",
    });
  });

  it("asks for contains or regexp, never both, and the level's lowest number", () => {
    const base = logFiltersFromParams(new URLSearchParams("q=boom&severity=error&service=api"));
    expect(logMatch(base)).toEqual({ services: ["api"], minSeverity: 17, attributes: [], contains: "boom", regexp: "" });
    expect(logMatch({ ...base, regexp: true, severity: "" })).toMatchObject({ contains: "", regexp: "boom", minSeverity: 0 });
  });
});
