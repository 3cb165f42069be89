import { Alert, Paper, Stack, Title } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useNavigate } from "react-router";
import { useClient } from "../api/useClient";
import { useSession } from "../auth/useSession";
import { ChangePasswordForm } from "../components/auth/ChangePasswordForm";
import { UserService } from "../gen/hearth/v1/user_pb";
import { paths } from "../routes/paths";

export function ChangePasswordPage() {
  const users = useClient(UserService);
  const session = useSession();
  const navigate = useNavigate();
  const required = session.user?.mustChangePassword ?? false;

  const change = async (currentPassword: string, newPassword: string) => {
    await users.changePassword({ currentPassword, newPassword });
    await session.refresh();
    notifications.show({ color: "green", message: "Your password was changed. Your other sessions were signed out." });
    navigate(paths.projects, { replace: true });
  };

  return (
    <Stack maw={440} mx="auto">
      <Title order={1} size="h2">
        Change password
      </Title>
      {required && (
        <Alert color="orange" variant="light">
          Your password was set by an administrator or generated. Choose your own before going on.
        </Alert>
      )}
      <Paper withBorder p="lg" radius="md">
        <ChangePasswordForm onSubmit={change} />
      </Paper>
    </Stack>
  );
}
