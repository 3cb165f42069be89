import { Navigate, type RouteObject } from "react-router";
import { NotFoundPage } from "../NotFoundPage";
import { AdminLayout } from "./AdminLayout";
import { AuditPage } from "./AuditPage";
import { ClustersPage } from "./ClustersPage";
import { RolesPage } from "./RolesPage";
import { UsersPage } from "./UsersPage";

// adminRoutes: the administration pages, relative to /-/admin.
export const adminRoutes: RouteObject[] = [
  {
    element: <AdminLayout />,
    children: [
      { index: true, element: <Navigate to="users" replace /> },
      { path: "users", element: <UsersPage /> },
      { path: "roles", element: <RolesPage /> },
      { path: "clusters", element: <ClustersPage /> },
      { path: "audit", element: <AuditPage /> },
      { path: "*", element: <NotFoundPage /> },
    ],
  },
];
