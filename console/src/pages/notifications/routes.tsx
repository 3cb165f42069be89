import type { RouteObject } from "react-router";
import { NotFoundPage } from "../NotFoundPage";

// notificationRoutes: the user's notifications and what they subscribe
// to, relative to /-/notifications. Each page is its own chunk.
export const notificationRoutes: RouteObject[] = [
  {
    lazy: () => import("./NotificationsLayout").then((m) => ({ Component: m.NotificationsLayout })),
    children: [
      { index: true, lazy: () => import("./NotificationsPage").then((m) => ({ Component: m.NotificationsPage })) },
      { path: "settings", lazy: () => import("./NotificationSettingsPage").then((m) => ({ Component: m.NotificationSettingsPage })) },
      { path: "*", element: <NotFoundPage /> },
    ],
  },
];
