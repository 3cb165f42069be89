import type { RouteObject } from "react-router";

// mergeRequestRoutes: the pages of the Merge requests tab, relative to the project's URL.
export const mergeRequestRoutes: RouteObject[] = [];
