import { Box, useComputedColorScheme } from "@mantine/core";
import { useElementSize } from "@mantine/hooks";
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { formatValue, seriesColor, type ChartData } from "./chartData";

interface Props {
  data: ChartData;
  // Labels of the series not drawn.
  hidden: Set<string>;
  // The step under the cursor (null when it left the chart).
  onCursor(index: number | null): void;
  // The x axis from and to (Unix seconds): the query's time range, so
  // sparse data is shown where it falls in it.
  xRange?: [number, number];
  height?: number;
}

// MetricChart draws the series as lines over time with uPlot (canvas); its
// legend is SeriesLegend, outside. The chart is made again when the data
// or the colour scheme change, resized when its box does, and series are
// shown or hidden in place.
export function MetricChart({ data, hidden, onCursor, xRange, height = 300 }: Props) {
  const { ref: sizeRef, width } = useElementSize();
  const [xFrom, xTo] = xRange ?? [undefined, undefined];
  const holder = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const scheme = useComputedColorScheme("light", { getInitialValueInEffect: true });
  // What the chart reads when it is made, kept current without remaking it.
  const latest = useRef({ hidden, onCursor });
  useEffect(() => {
    latest.current = { hidden, onCursor };
  });

  useEffect(() => {
    const el = holder.current;
    if (!el) {
      return;
    }
    const axis = scheme === "dark" ? "#909296" : "#495057";
    const grid = scheme === "dark" ? "rgba(255,255,255,0.08)" : "rgba(0,0,0,0.07)";
    const opts: uPlot.Options = {
      width: Math.max(200, Math.floor(el.getBoundingClientRect().width) || 600),
      height,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: xFrom !== undefined && xTo !== undefined ? { time: true, range: [xFrom, xTo] } : { time: true } },
      series: [
        {},
        ...data.series.map((s, i) => ({
          label: s.label,
          stroke: seriesColor(i),
          width: 1.5,
          show: !latest.current.hidden.has(s.label),
          spanGaps: false,
          value: (_u: uPlot, v: number | null) => formatValue(v),
        })),
      ],
      axes: [
        { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } },
        { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, size: 64, values: (_u, vals) => vals.map(formatValue) },
      ],
      hooks: {
        setCursor: [(u) => latest.current.onCursor(u.cursor.idx ?? null)],
      },
    };
    const u = new uPlot(opts, [data.xs, ...data.series.map((s) => s.values)] as uPlot.AlignedData, el);
    plot.current = u;
    return () => {
      u.destroy();
      plot.current = null;
    };
  }, [data, scheme, height, xFrom, xTo]);

  useEffect(() => {
    if (plot.current && width > 0) {
      plot.current.setSize({ width: Math.max(200, Math.floor(width)), height });
    }
  }, [width, height]);

  useEffect(() => {
    const u = plot.current;
    if (!u) {
      return;
    }
    data.series.forEach((s, i) => {
      const show = !hidden.has(s.label);
      if (u.series[i + 1] && u.series[i + 1].show !== show) {
        u.setSeries(i + 1, { show });
      }
    });
  }, [hidden, data]);

  return (
    <Box ref={sizeRef} w="100%">
      <Box
        ref={holder}
        role="img"
        aria-label={`Chart of ${data.series.length} series over ${data.xs.length} steps`}
        data-series={data.series.length}
        data-points={data.xs.length}
      />
    </Box>
  );
}
