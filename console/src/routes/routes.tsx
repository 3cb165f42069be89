import { Navigate, type RouteObject } from "react-router";
import { AppLayout } from "../components/AppLayout";
import { ChangePasswordPage } from "../pages/ChangePasswordPage";
import { NotFoundPage } from "../pages/NotFoundPage";
import { ProjectsPage } from "../pages/ProjectsPage";
import { SignInPage } from "../pages/SignInPage";
import { adminRoutes } from "../pages/admin/routes";
import { notificationRoutes } from "../pages/notifications/routes";
import { ProjectLayout } from "../pages/project/ProjectLayout";
import { codeRoutes } from "../pages/project/code/routes";
import { issueRoutes } from "../pages/project/issues/routes";
import { logRoutes } from "../pages/project/logs/routes";
import { mergeRequestRoutes } from "../pages/project/merge_requests/routes";
import { metricRoutes } from "../pages/project/metrics/routes";
import { pipelineRoutes } from "../pages/project/pipelines/routes";
import { settingsRoutes } from "../pages/project/settings/routes";
import { traceRoutes } from "../pages/project/traces/routes";
import { tokenRoutes } from "../pages/tokens/routes";
import { RequireAuth } from "./RequireAuth";
import { RouteError } from "./RouteError";
import { paths } from "./paths";

// routes: every URL of the console. The server answers each with
// index.html (deep links survive a reload); unknown ones show the 404 page.
export const routes: RouteObject[] = [
  {
    errorElement: <RouteError />,
    children: [
      { path: paths.signIn, element: <SignInPage /> },
      {
        element: (
          <RequireAuth>
            <AppLayout />
          </RequireAuth>
        ),
        children: [
          { index: true, element: <Navigate to={paths.projects} replace /> },
          { path: paths.projects, element: <ProjectsPage /> },
          { path: paths.changePassword, element: <ChangePasswordPage /> },
          { path: paths.tokens, children: tokenRoutes },
          { path: paths.admin, children: adminRoutes },
          { path: paths.notifications, children: notificationRoutes },
          // Nothing else lives under /-/ (and no owner is named "-").
          { path: "-/*", element: <NotFoundPage /> },
          {
            // A project and its tabs: /{owner}/{name} and /{owner}/{name}/-/….
            path: ":owner/:name",
            element: <ProjectLayout />,
            children: [
              ...codeRoutes,
              ...issueRoutes,
              ...mergeRequestRoutes,
              ...pipelineRoutes,
              ...logRoutes,
              ...traceRoutes,
              ...metricRoutes,
              ...settingsRoutes,
              { path: "*", element: <NotFoundPage /> },
            ],
          },
          { path: "*", element: <NotFoundPage /> },
        ],
      },
    ],
  },
];
