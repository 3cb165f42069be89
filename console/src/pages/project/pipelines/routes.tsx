import type { RouteObject } from "react-router";

// pipelineRoutes: the pages of the Pipelines tab (pipelines and jobs), relative to the project's URL.
export const pipelineRoutes: RouteObject[] = [];
