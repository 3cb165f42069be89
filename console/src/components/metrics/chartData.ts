import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { MetricSeries } from "../../gen/hearth/v1/observe_pb";

// ChartSeries is one line: its name and a value (or a gap) per x.
export interface ChartSeries {
  label: string;
  labels: { [key: string]: string };
  values: (number | null)[];
}

// ChartData is what the chart draws: the x values (Unix seconds, as
// uPlot expects) shared by every series, ascending.
export interface ChartData {
  xs: number[];
  series: ChartSeries[];
}

// seriesLabel names a series by its labels: {method="GET", route="/"}
// (keys in order), or name when it has none.
export function seriesLabel(labels: { [key: string]: string }, name: string): string {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) {
    return name;
  }
  return `{${keys.map((k) => `${k}="${labels[k]}"`).join(", ")}}`;
}

// shapeChartData aligns series of steps on one x axis: every step any
// series has, each series holding null where it has no point (a gap in
// its line, not a zero). Values that are not finite are gaps too. Series
// are ordered by label so colours stay put between queries.
export function shapeChartData(series: MetricSeries[], name: string): ChartData {
  const times = new Set<number>();
  for (const s of series) {
    for (const p of s.points) {
      if (p.time) {
        times.add(timestampMs(p.time));
      }
    }
  }
  const xsMs = [...times].sort((a, b) => a - b);
  const index = new Map(xsMs.map((t, i) => [t, i]));
  const shaped = series.map((s) => {
    const values: (number | null)[] = new Array(xsMs.length).fill(null);
    for (const p of s.points) {
      if (p.time && Number.isFinite(p.value)) {
        values[index.get(timestampMs(p.time))!] = p.value;
      }
    }
    return { label: seriesLabel(s.labels, name), labels: s.labels, values };
  });
  shaped.sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
  return { xs: xsMs.map((t) => t / 1000), series: shaped };
}

// The first colours, then evenly spread hues (the golden angle) for as
// many more series as there are.
const palette = ["#228be6", "#12b886", "#fd7e14", "#be4bdb", "#fa5252", "#15aabf", "#82c91e", "#f06595", "#4c6ef5", "#fab005"];

export function seriesColor(i: number): string {
  if (i < palette.length) {
    return palette[i];
  }
  return `hsl(${Math.round((i * 137.508) % 360)}, 65%, 50%)`;
}

const compact = new Intl.NumberFormat(undefined, { notation: "compact", maximumSignificantDigits: 4 });
const plain = new Intl.NumberFormat(undefined, { maximumSignificantDigits: 4 });

// formatValue: "1,234", "0.01234", "1.5M".
export function formatValue(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) {
    return "—";
  }
  return Math.abs(v) >= 1e5 ? compact.format(v) : plain.format(v);
}

// lastValue is a series' newest value (null when it has none).
export function lastValue(values: (number | null)[]): number | null {
  for (let i = values.length - 1; i >= 0; i--) {
    if (values[i] !== null) {
      return values[i];
    }
  }
  return null;
}
