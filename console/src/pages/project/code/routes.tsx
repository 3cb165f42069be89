import type { RouteObject } from "react-router";
import { BlobPage } from "./BlobPage";
import { CodeHomePage } from "./CodeHomePage";
import { CommitPage } from "./CommitPage";
import { CommitsPage } from "./CommitsPage";
import { TreePage } from "./TreePage";

// codeRoutes: the pages of the Code tab: the project's own URL (tree of the default branch), tree/blob/commits/commit pages, relative to the project's URL.
// A ref is one URL segment with its "/" encoded as %2F (codePaths.ts).
export const codeRoutes: RouteObject[] = [
  { index: true, element: <CodeHomePage /> },
  { path: "-/tree/:ref/*", element: <TreePage /> },
  { path: "-/blob/:ref/*", element: <BlobPage /> },
  { path: "-/commits/:ref", element: <CommitsPage /> },
  { path: "-/commit/:sha", element: <CommitPage /> },
];
