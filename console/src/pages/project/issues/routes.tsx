import type { RouteObject } from "react-router";

// issueRoutes: the pages of the Issues tab, relative to the project's URL.
// Each page is its own chunk, loaded when first visited.
export const issueRoutes: RouteObject[] = [
  { path: "-/issues", lazy: () => import("./IssueListPage").then((m) => ({ Component: m.IssueListPage })) },
  { path: "-/issues/new", lazy: () => import("./NewIssuePage").then((m) => ({ Component: m.NewIssuePage })) },
  { path: "-/issues/:number", lazy: () => import("./IssueDetailPage").then((m) => ({ Component: m.IssueDetailPage })) },
];
