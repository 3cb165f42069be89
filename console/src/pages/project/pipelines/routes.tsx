import type { RouteObject } from "react-router";
import { JobPage } from "./JobPage";
import { PipelinePage } from "./PipelinePage";
import { PipelinesPage } from "./PipelinesPage";

// pipelineRoutes: the pages of the Pipelines tab (pipelines and jobs), relative to the project's URL.
export const pipelineRoutes: RouteObject[] = [
  { path: "-/pipelines", element: <PipelinesPage /> },
  { path: "-/pipelines/:id", element: <PipelinePage /> },
  { path: "-/jobs/:id", element: <JobPage /> },
];
