import type { RouteObject } from "react-router";

// issueRoutes: the pages of the Issues tab, relative to the project's URL.
export const issueRoutes: RouteObject[] = [];
