import { Avatar, Menu, UnstyledButton, Group, Text } from "@mantine/core";
import { IconBell, IconCertificate, IconKey, IconLogout, IconShieldLock } from "@tabler/icons-react";
import { useNavigate } from "react-router";
import { useSession } from "../auth/useSession";
import { paths } from "../routes/paths";
import { isAdmin } from "./admin/isAdmin";

// UserMenu: who is signed in, and signing out (after which RequireAuth
// shows the sign-in page, which leads back to the same page).
export function UserMenu() {
  const session = useSession();
  const navigate = useNavigate();
  const user = session.user;
  if (!user) {
    return null;
  }
  const name = user.displayName || user.username;
  return (
    <Menu position="bottom-end" withinPortal>
      <Menu.Target>
        <UnstyledButton aria-label={`Account menu for ${user.username}`}>
          <Group gap={8} wrap="nowrap">
            <Avatar name={name} color="initials" size={32} radius="xl" />
            <Text size="sm" fw={500} visibleFrom="xs">
              {user.username}
            </Text>
          </Group>
        </UnstyledButton>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Label>
          Signed in as <b>{user.username}</b>
        </Menu.Label>
        <Menu.Item leftSection={<IconBell size={16} aria-hidden />} onClick={() => navigate(paths.notifications)}>
          Notifications
        </Menu.Item>
        <Menu.Item leftSection={<IconKey size={16} aria-hidden />} onClick={() => navigate(paths.changePassword)}>
          Change password
        </Menu.Item>
        <Menu.Item leftSection={<IconCertificate size={16} aria-hidden />} onClick={() => navigate(paths.tokens)}>
          Access tokens
        </Menu.Item>
        {isAdmin(session) && (
          <Menu.Item leftSection={<IconShieldLock size={16} aria-hidden />} onClick={() => navigate(paths.admin)}>
            Administration
          </Menu.Item>
        )}
        <Menu.Divider />
        <Menu.Item leftSection={<IconLogout size={16} aria-hidden />} onClick={() => void session.signOut()}>
          Sign out
        </Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}
