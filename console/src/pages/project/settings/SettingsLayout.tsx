import { Skeleton, Stack, Tabs } from "@mantine/core";
import { Outlet, useLocation, useNavigate } from "react-router";
import { ReadOnlyNotice } from "../../../components/settings/ReadOnlyNotice";
import type { SettingsContext } from "../../../components/settings/settingsContext";
import { activeSettingsTab, settingsTabs } from "../../../components/settings/settingsTabs";
import { useProjectAccess } from "../../../components/settings/useProjectAccess";
import { useProjectContext } from "../../../components/project/useProjectContext";
import { projectPath } from "../../../routes/paths";

// SettingsLayout is the frame of a project's settings: its sections as
// tabs (a row that scrolls on narrow screens), the section below.
export function SettingsLayout() {
  const project = useProjectContext();
  const access = useProjectAccess(project);
  const location = useLocation();
  const navigate = useNavigate();
  const tab = activeSettingsTab(location.pathname);
  if (access.pending) {
    return (
      <Stack aria-busy="true" aria-label="Loading the settings">
        <Skeleton h={32} />
        <Skeleton h={160} />
      </Stack>
    );
  }
  const context: SettingsContext = { project, canAdmin: access.canAdmin };
  return (
    <Stack gap="md">
      <Tabs
        variant="pills"
        value={tab}
        onChange={(value) => {
          const target = settingsTabs.find((t) => t.value === value);
          void navigate(projectPath(project.owner, project.name, target?.segment ? `settings/${target.segment}` : "settings"));
        }}
        keepMounted={false}
      >
        <Tabs.List aria-label="Settings sections" style={{ flexWrap: "nowrap", overflowX: "auto" }}>
          {settingsTabs
            // Webhooks, like the danger zone, are for maintainers only: others
            // may not even list them.
            .filter((t) => (t.value !== "danger" && t.value !== "webhooks") || access.canAdmin)
            .map((t) => (
              <Tabs.Tab key={t.value} value={t.value} color={t.value === "danger" ? "red" : undefined}>
                {t.label}
              </Tabs.Tab>
            ))}
        </Tabs.List>
      </Tabs>
      {!access.canAdmin && (
        <ReadOnlyNotice>Only the project's maintainers can change its settings. You can see them here.</ReadOnlyNotice>
      )}
      <Outlet context={context} />
    </Stack>
  );
}
