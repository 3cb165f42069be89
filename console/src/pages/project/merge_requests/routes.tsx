import type { RouteObject } from "react-router";

// mergeRequestRoutes: the pages of the Merge requests tab, relative to the project's URL.
// Each page is its own chunk, loaded when first visited.
export const mergeRequestRoutes: RouteObject[] = [
  { path: "-/merge_requests", lazy: () => import("./MergeRequestListPage").then((m) => ({ Component: m.MergeRequestListPage })) },
  { path: "-/merge_requests/new", lazy: () => import("./NewMergeRequestPage").then((m) => ({ Component: m.NewMergeRequestPage })) },
  { path: "-/merge_requests/:number", lazy: () => import("./MergeRequestDetailPage").then((m) => ({ Component: m.MergeRequestDetailPage })) },
];
