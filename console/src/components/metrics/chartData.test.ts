import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { MetricSeriesSchema, type MetricSeries } from "../../gen/hearth/v1/observe_pb";
import { formatValue, lastValue, seriesColor, seriesLabel, shapeChartData } from "./chartData";

const t0 = Date.UTC(2026, 11, 7, 10, 0, 0);

function series(labels: Record<string, string>, points: [number, number][]): MetricSeries {
  return create(MetricSeriesSchema, { labels, points: points.map(([min, value]) => ({ time: timestampFromMs(t0 + min * 60_000), value })) });
}

describe("chart data", () => {
  it("aligns series on every step any of them has, with gaps (not zeros) where one has none", () => {
    const data = shapeChartData(
      [
        series({ route: "/b" }, [
          [0, 1],
          [2, 3],
        ]),
        series({ route: "/a" }, [
          [1, 10],
          [2, NaN],
          [3, 30],
        ]),
      ],
      "http.requests",
    );
    expect(data.xs).toEqual([0, 1, 2, 3].map((m) => (t0 + m * 60_000) / 1000));
    // Ordered by label, so colours stay put between queries.
    expect(data.series.map((s) => s.label)).toEqual(['{route="/a"}', '{route="/b"}']);
    expect(data.series[0].values).toEqual([null, 10, null, 30]);
    expect(data.series[1].values).toEqual([1, null, 3, null]);
  });

  it("names a series by its labels in key order, or by the metric when it has none", () => {
    expect(seriesLabel({ b: "2", a: "1" }, "m")).toBe('{a="1", b="2"}');
    expect(seriesLabel({}, "cpu.usage")).toBe("cpu.usage");
    expect(shapeChartData([series({}, [[0, 1]])], "cpu.usage").series[0].label).toBe("cpu.usage");
  });

  it("answers no steps for no points, and finds the last value past trailing gaps", () => {
    expect(shapeChartData([], "m")).toEqual({ xs: [], series: [] });
    expect(shapeChartData([series({ a: "1" }, [])], "m")).toEqual({ xs: [], series: [{ label: '{a="1"}', labels: { a: "1" }, values: [] }] });
    expect(lastValue([1, 2, null, null])).toBe(2);
    expect(lastValue([null])).toBeNull();
  });

  it("gives many series distinct colours and formats values briefly", () => {
    const colours = new Set(Array.from({ length: 40 }, (_, i) => seriesColor(i)));
    expect(colours.size).toBe(40);
    expect(formatValue(null)).toBe("—");
    expect(formatValue(0.012345)).toBe("0.01235");
    expect(formatValue(2_500_000)).toMatch(/^2\.5\s?M$/);
  });
});
