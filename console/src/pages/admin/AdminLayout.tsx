import { Stack, Tabs, Title } from "@mantine/core";
import { Outlet, useLocation, useNavigate } from "react-router";
import { useSession } from "../../auth/useSession";
import { PermissionNotice } from "../../components/admin/PermissionNotice";
import { activeAdminTab, adminTabs } from "../../components/admin/adminTabs";
import { isAdmin } from "../../components/admin/isAdmin";
import { paths } from "../../routes/paths";

// AdminLayout is the frame of the administration pages: a title and tabs.
// A user without administrative rights is told so instead.
export function AdminLayout() {
  const session = useSession();
  const location = useLocation();
  const navigate = useNavigate();
  if (!isAdmin(session)) {
    return (
      <Stack maw={1200} mx="auto">
        <Title order={1} size="h2">
          Administration
        </Title>
        <PermissionNotice title="Administrators only">
          Managing users, roles, clusters, installation secrets and webhooks, and the audit log needs an administrator. Ask one of them if you need
          something changed.
        </PermissionNotice>
      </Stack>
    );
  }
  return (
    <Stack maw={1200} mx="auto" gap="md">
      <Title order={1} size="h2">
        Administration
      </Title>
      <Tabs value={activeAdminTab(location.pathname)} onChange={(v) => void navigate(`${paths.admin}/${v}`)} keepMounted={false}>
        <Tabs.List style={{ flexWrap: "nowrap", overflowX: "auto" }}>
          {adminTabs.map((t) => (
            <Tabs.Tab key={t.value} value={t.value}>
              {t.label}
            </Tabs.Tab>
          ))}
        </Tabs.List>
      </Tabs>
      <Outlet />
    </Stack>
  );
}
