import type { RouteObject } from "react-router";

// traceRoutes: the Traces tab (the search and one trace's waterfall),
// relative to the project's URL. Each page is its own chunk.
export const traceRoutes: RouteObject[] = [
  { path: "-/traces", lazy: () => import("./TracesPage").then((m) => ({ Component: m.TracesPage })) },
  { path: "-/traces/:traceId", lazy: () => import("./TracePage").then((m) => ({ Component: m.TracePage })) },
];
