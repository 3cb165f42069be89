import { Navigate, type RouteObject } from "react-router";
import { NotFoundPage } from "../NotFoundPage";

// adminRoutes: the administration pages, relative to /-/admin.
// Each page is its own chunk, loaded when first visited.
export const adminRoutes: RouteObject[] = [
  {
    lazy: () => import("./AdminLayout").then((m) => ({ Component: m.AdminLayout })),
    children: [
      { index: true, element: <Navigate to="users" replace /> },
      { path: "users", lazy: () => import("./UsersPage").then((m) => ({ Component: m.UsersPage })) },
      { path: "roles", lazy: () => import("./RolesPage").then((m) => ({ Component: m.RolesPage })) },
      { path: "clusters", lazy: () => import("./ClustersPage").then((m) => ({ Component: m.ClustersPage })) },
      { path: "secrets", lazy: () => import("./SecretsPage").then((m) => ({ Component: m.SecretsPage })) },
      { path: "webhooks", lazy: () => import("./WebhooksPage").then((m) => ({ Component: m.WebhooksPage })) },
      { path: "webhooks/:webhookId", lazy: () => import("./WebhooksPage").then((m) => ({ Component: m.WebhooksPage })) },
      { path: "audit", lazy: () => import("./AuditPage").then((m) => ({ Component: m.AuditPage })) },
      { path: "*", element: <NotFoundPage /> },
    ],
  },
];
