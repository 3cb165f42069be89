import type { RouteObject } from "react-router";

// settingsRoutes: the pages of the Settings tab, relative to the project's URL.
export const settingsRoutes: RouteObject[] = [];
