import type { RouteObject } from "react-router";
import { IssueDetailPage } from "./IssueDetailPage";
import { IssueListPage } from "./IssueListPage";
import { NewIssuePage } from "./NewIssuePage";

// issueRoutes: the pages of the Issues tab, relative to the project's URL.
export const issueRoutes: RouteObject[] = [
  { path: "-/issues", element: <IssueListPage /> },
  { path: "-/issues/new", element: <NewIssuePage /> },
  { path: "-/issues/:number", element: <IssueDetailPage /> },
];
