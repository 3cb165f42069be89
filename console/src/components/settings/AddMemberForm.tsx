import { Button, Group, NativeSelect, Paper, Stack, TextInput, Title } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useClient } from "../../api/useClient";
import { ProjectService, type Project } from "../../gen/hearth/v1/project_pb";
import { ErrorAlert } from "../ErrorAlert";
import { useRoles } from "../admin/useRoles";
import { membersKey } from "./useMembers";

// The project roles offered when the custom ones cannot be listed.
const systemRoles = ["maintainer", "developer", "viewer"];

// AddMemberForm gives a user, by username, a role on the project.
export function AddMemberForm({ project }: { project: Project }) {
  const projects = useClient(ProjectService);
  const roles = useRoles();
  const queryClient = useQueryClient();
  const [username, setUsername] = useState("");
  const [role, setRole] = useState("developer");
  const options = roles.data ? roles.data.filter((r) => r.name !== "admin").map((r) => r.name) : systemRoles;

  const add = useMutation({
    mutationFn: () => projects.addProjectMember({ owner: project.owner, name: project.name, username: username.trim(), role }),
    onSuccess: (res) => {
      void queryClient.invalidateQueries({ queryKey: membersKey(project.owner, project.name) });
      notifications.show({ color: "green", message: `${res.member?.username} is now ${res.member?.role}.` });
      setUsername("");
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (username.trim()) {
      add.mutate();
    }
  };
  return (
    <Paper withBorder p="md" radius="md">
      <form onSubmit={submit} noValidate aria-label="Add a member">
        <Stack>
          <Title order={3} size="h5">
            Add a member
          </Title>
          {add.isError && <ErrorAlert error={add.error} title="Could not add the member" />}
          <Group align="flex-end" wrap="wrap" gap="sm">
            <TextInput
              label="Username"
              required
              value={username}
              onChange={(e) => setUsername(e.currentTarget.value)}
              style={{ flex: 1 }}
              miw={180}
            />
            <NativeSelect label="Role" data={options} value={role} onChange={(e) => setRole(e.currentTarget.value)} miw={150} />
            <Button type="submit" loading={add.isPending} disabled={!username.trim()}>
              Add member
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  );
}
