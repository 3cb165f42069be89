import { Stack, Tabs, Title } from "@mantine/core";
import { Outlet, useLocation, useNavigate } from "react-router";
import { paths } from "../../routes/paths";

// NotificationsLayout is the frame of the notification pages: a title and
// two tabs, the notifications and what the user subscribes to.
export function NotificationsLayout() {
  const location = useLocation();
  const navigate = useNavigate();
  const tab = location.pathname.startsWith(paths.notificationSettings) ? "settings" : "inbox";
  return (
    <Stack maw={1100} mx="auto" gap="md">
      <Title order={1} size="h2">
        Notifications
      </Title>
      <Tabs
        value={tab}
        onChange={(v) => void navigate(v === "settings" ? paths.notificationSettings : paths.notifications)}
        keepMounted={false}
      >
        <Tabs.List style={{ flexWrap: "nowrap", overflowX: "auto" }}>
          <Tabs.Tab value="inbox">Inbox</Tabs.Tab>
          <Tabs.Tab value="settings">Settings</Tabs.Tab>
        </Tabs.List>
      </Tabs>
      <Outlet />
    </Stack>
  );
}
