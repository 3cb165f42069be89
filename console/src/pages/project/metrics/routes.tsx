import type { RouteObject } from "react-router";

// metricRoutes: the Metrics tab (the list and one metric's chart),
// relative to the project's URL. Each page is its own chunk (the chart
// library loads with the chart).
export const metricRoutes: RouteObject[] = [
  { path: "-/metrics", lazy: () => import("./MetricsPage").then((m) => ({ Component: m.MetricsPage })) },
  { path: "-/metrics/:metric", lazy: () => import("./MetricPage").then((m) => ({ Component: m.MetricPage })) },
];
