import type { RouteObject } from "react-router";

// tokenRoutes: the personal access token pages, relative to /-/tokens.
export const tokenRoutes: RouteObject[] = [];
