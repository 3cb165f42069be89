import type { RouteObject } from "react-router";
import { MergeRequestDetailPage } from "./MergeRequestDetailPage";
import { MergeRequestListPage } from "./MergeRequestListPage";
import { NewMergeRequestPage } from "./NewMergeRequestPage";

// mergeRequestRoutes: the pages of the Merge requests tab, relative to the project's URL.
export const mergeRequestRoutes: RouteObject[] = [
  { path: "-/merge_requests", element: <MergeRequestListPage /> },
  { path: "-/merge_requests/new", element: <NewMergeRequestPage /> },
  { path: "-/merge_requests/:number", element: <MergeRequestDetailPage /> },
];
