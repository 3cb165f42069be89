import type { RouteObject } from "react-router";

// adminRoutes: the administration pages, relative to /-/admin.
export const adminRoutes: RouteObject[] = [];
