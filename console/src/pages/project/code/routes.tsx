import type { RouteObject } from "react-router";

// codeRoutes: the pages of the Code tab: the project's own URL (tree of the default branch), tree/blob/commits/commit pages, relative to the project's URL.
// A ref is one URL segment with its "/" encoded as %2F (codePaths.ts).
// Each page is its own chunk, loaded when first visited.
export const codeRoutes: RouteObject[] = [
  { index: true, lazy: () => import("./CodeHomePage").then((m) => ({ Component: m.CodeHomePage })) },
  { path: "-/tree/:ref/*", lazy: () => import("./TreePage").then((m) => ({ Component: m.TreePage })) },
  { path: "-/blob/:ref/*", lazy: () => import("./BlobPage").then((m) => ({ Component: m.BlobPage })) },
  { path: "-/commits/:ref", lazy: () => import("./CommitsPage").then((m) => ({ Component: m.CommitsPage })) },
  { path: "-/commit/:sha", lazy: () => import("./CommitPage").then((m) => ({ Component: m.CommitPage })) },
];
