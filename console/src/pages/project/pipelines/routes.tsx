import type { RouteObject } from "react-router";

// pipelineRoutes: the pages of the Pipelines tab (pipelines and jobs), relative to the project's URL.
// Each page is its own chunk, loaded when first visited.
export const pipelineRoutes: RouteObject[] = [
  { path: "-/pipelines", lazy: () => import("./PipelinesPage").then((m) => ({ Component: m.PipelinesPage })) },
  { path: "-/pipelines/:id", lazy: () => import("./PipelinePage").then((m) => ({ Component: m.PipelinePage })) },
  { path: "-/jobs/:id", lazy: () => import("./JobPage").then((m) => ({ Component: m.JobPage })) },
];
