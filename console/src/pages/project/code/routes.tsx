import type { RouteObject } from "react-router";

// codeRoutes: the pages of the Code tab: the project's own URL (tree of the default branch), tree/blob/commits/commit pages, relative to the project's URL.
export const codeRoutes: RouteObject[] = [];
