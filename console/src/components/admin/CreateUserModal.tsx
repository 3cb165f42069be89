import { Button, Checkbox, Group, Modal, PasswordInput, Stack, TextInput } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useClient } from "../../api/useClient";
import { UserService } from "../../gen/hearth/v1/user_pb";
import { ErrorAlert } from "../ErrorAlert";
import { usersKey } from "./useUsers";

interface Props {
  opened: boolean;
  onClose(): void;
}

const empty = { username: "", email: "", displayName: "", password: "", admin: false };

// CreateUserModal creates an account with a first password (the user must
// change it at first sign-in).
export function CreateUserModal({ opened, onClose }: Props) {
  const users = useClient(UserService);
  const queryClient = useQueryClient();
  const [form, setForm] = useState(empty);
  const set = <K extends keyof typeof empty>(key: K, value: (typeof empty)[K]) => setForm((f) => ({ ...f, [key]: value }));

  const create = useMutation({
    mutationFn: () =>
      users.createUser({
        username: form.username.trim(),
        email: form.email.trim(),
        displayName: form.displayName.trim(),
        password: form.password,
        admin: form.admin,
      }),
    onSuccess: (res) => {
      void queryClient.invalidateQueries({ queryKey: usersKey });
      notifications.show({ color: "green", message: `Created the user ${res.user?.username}.` });
      close();
    },
  });

  const close = () => {
    setForm(empty);
    create.reset();
    onClose();
  };
  const shortPassword = form.password.length > 0 && form.password.length < 12;
  const ready = form.username.trim() && form.email.trim() && form.password.length >= 12;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (ready) {
      create.mutate();
    }
  };

  return (
    <Modal opened={opened} onClose={close} title="New user" size="lg">
      <form onSubmit={submit} noValidate>
        <Stack>
          {create.isError && <ErrorAlert error={create.error} title="Could not create the user" />}
          <TextInput label="Username" required data-autofocus value={form.username} onChange={(e) => set("username", e.currentTarget.value)} />
          <TextInput label="Email" type="email" required value={form.email} onChange={(e) => set("email", e.currentTarget.value)} />
          <TextInput label="Display name" value={form.displayName} onChange={(e) => set("displayName", e.currentTarget.value)} />
          <PasswordInput
            label="First password"
            description="At least 12 characters. The user must choose a new one at first sign-in."
            required
            value={form.password}
            error={shortPassword ? "Use at least 12 characters." : null}
            onChange={(e) => set("password", e.currentTarget.value)}
          />
          <Checkbox
            label="Administrator"
            description="Grants the installation-wide admin role."
            checked={form.admin}
            onChange={(e) => set("admin", e.currentTarget.checked)}
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button type="submit" loading={create.isPending} disabled={!ready}>
              Create user
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
