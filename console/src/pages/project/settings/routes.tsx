import type { RouteObject } from "react-router";
import { NotFoundPage } from "../../NotFoundPage";

// settingsRoutes: the pages of the Settings tab, relative to the project's URL.
// Each page is its own chunk, loaded when first visited.
export const settingsRoutes: RouteObject[] = [
  {
    path: "-/settings",
    lazy: () => import("./SettingsLayout").then((m) => ({ Component: m.SettingsLayout })),
    children: [
      { index: true, lazy: () => import("./GeneralSettingsPage").then((m) => ({ Component: m.GeneralSettingsPage })) },
      { path: "members", lazy: () => import("./MembersSettingsPage").then((m) => ({ Component: m.MembersSettingsPage })) },
      { path: "branches", lazy: () => import("./ProtectedBranchesPage").then((m) => ({ Component: m.ProtectedBranchesPage })) },
      { path: "secrets", lazy: () => import("./SecretsSettingsPage").then((m) => ({ Component: m.SecretsSettingsPage })) },
      { path: "webhooks", lazy: () => import("./WebhooksSettingsPage").then((m) => ({ Component: m.WebhooksSettingsPage })) },
      {
        path: "webhooks/:webhookId",
        lazy: () => import("./WebhooksSettingsPage").then((m) => ({ Component: m.WebhooksSettingsPage })),
      },
      { path: "danger", lazy: () => import("./DangerZonePage").then((m) => ({ Component: m.DangerZonePage })) },
      { path: "*", element: <NotFoundPage /> },
    ],
  },
];
