import type { RouteObject } from "react-router";
import { NotFoundPage } from "../../NotFoundPage";
import { DangerZonePage } from "./DangerZonePage";
import { GeneralSettingsPage } from "./GeneralSettingsPage";
import { MembersSettingsPage } from "./MembersSettingsPage";
import { ProtectedBranchesPage } from "./ProtectedBranchesPage";
import { SettingsLayout } from "./SettingsLayout";

// settingsRoutes: the pages of the Settings tab, relative to the project's URL.
export const settingsRoutes: RouteObject[] = [
  {
    path: "-/settings",
    element: <SettingsLayout />,
    children: [
      { index: true, element: <GeneralSettingsPage /> },
      { path: "members", element: <MembersSettingsPage /> },
      { path: "branches", element: <ProtectedBranchesPage /> },
      { path: "danger", element: <DangerZonePage /> },
      { path: "*", element: <NotFoundPage /> },
    ],
  },
];
