import type { RouteObject } from "react-router";

// logRoutes: the Logs tab, relative to the project's URL. Loaded when first visited.
export const logRoutes: RouteObject[] = [
  { path: "-/logs", lazy: () => import("./LogsPage").then((m) => ({ Component: m.LogsPage })) },
];
