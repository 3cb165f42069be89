import { ActionIcon, Menu } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { IconDots } from "@tabler/icons-react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useClient } from "../../api/useClient";
import type { User } from "../../gen/hearth/v1/auth_pb";
import { UserService } from "../../gen/hearth/v1/user_pb";
import { ConfirmDialog } from "../tokens/ConfirmDialog";
import { usersKey } from "./useUsers";

type Action = "deactivate" | "reactivate" | "grant-admin" | "revoke-admin";

const wording: Record<Action, { title: string; confirm: string; body: (u: string) => string; danger: boolean }> = {
  deactivate: {
    title: "Deactivate user?",
    confirm: "Deactivate",
    body: (u) => `${u} is signed out everywhere, their tokens stop working and they cannot sign in until reactivated.`,
    danger: true,
  },
  reactivate: {
    title: "Reactivate user?",
    confirm: "Reactivate",
    body: (u) => `${u} may sign in again. Their old tokens stay revoked.`,
    danger: false,
  },
  "grant-admin": {
    title: "Make administrator?",
    confirm: "Make administrator",
    body: (u) => `${u} gets the installation-wide admin role: every permission, everywhere.`,
    danger: true,
  },
  "revoke-admin": {
    title: "Remove administrator?",
    confirm: "Remove administrator",
    body: (u) => `${u} loses the installation-wide admin role.`,
    danger: true,
  },
};

// UserActions: deactivate or reactivate an account, grant or remove the
// admin role, each after asking.
export function UserActions({ user }: { user: User }) {
  const users = useClient(UserService);
  const queryClient = useQueryClient();
  const [action, setAction] = useState<Action | null>(null);
  const run = useMutation({
    mutationFn: async (a: Action) => {
      switch (a) {
        case "deactivate":
          return users.deactivateUser({ id: user.id });
        case "reactivate":
          return users.updateUser({ id: user.id, active: true });
        case "grant-admin":
          return users.updateUser({ id: user.id, admin: true });
        case "revoke-admin":
          return users.updateUser({ id: user.id, admin: false });
      }
    },
    onSuccess: (_res, a) => {
      void queryClient.invalidateQueries({ queryKey: usersKey });
      notifications.show({ color: "green", message: `${wording[a].confirm}: done for ${user.username}.` });
      setAction(null);
    },
  });
  const close = () => {
    run.reset();
    setAction(null);
  };
  return (
    <>
      <Menu position="bottom-end" withinPortal>
        <Menu.Target>
          <ActionIcon variant="subtle" color="gray" aria-label={`Actions for ${user.username}`}>
            <IconDots size={16} aria-hidden />
          </ActionIcon>
        </Menu.Target>
        <Menu.Dropdown>
          {user.active ? (
            <Menu.Item color="red" onClick={() => setAction("deactivate")}>
              Deactivate
            </Menu.Item>
          ) : (
            <Menu.Item onClick={() => setAction("reactivate")}>Reactivate</Menu.Item>
          )}
          {user.admin ? (
            <Menu.Item onClick={() => setAction("revoke-admin")}>Remove administrator</Menu.Item>
          ) : (
            <Menu.Item onClick={() => setAction("grant-admin")}>Make administrator</Menu.Item>
          )}
        </Menu.Dropdown>
      </Menu>
      {action && (
        <ConfirmDialog
          opened
          title={wording[action].title}
          confirmLabel={wording[action].confirm}
          danger={wording[action].danger}
          loading={run.isPending}
          error={run.error}
          onConfirm={() => run.mutate(action)}
          onClose={close}
        >
          {wording[action].body(user.username)}
        </ConfirmDialog>
      )}
    </>
  );
}
