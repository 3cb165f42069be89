import { Navigate, type RouteObject } from "react-router";
import { AppLayout } from "../components/AppLayout";
import { ChangePasswordPage } from "../pages/ChangePasswordPage";
import { NotFoundPage } from "../pages/NotFoundPage";
import { ProjectsPage } from "../pages/ProjectsPage";
import { SignInPage } from "../pages/SignInPage";
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
          { path: "*", element: <NotFoundPage /> },
        ],
      },
    ],
  },
];
