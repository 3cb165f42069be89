import { Button, Group, NativeSelect, Paper, Stack, TextInput, Title } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useClient } from "../../api/useClient";
import { ProjectService } from "../../gen/hearth/v1/project_pb";
import { RoleService } from "../../gen/hearth/v1/role_pb";
import { UserService } from "../../gen/hearth/v1/user_pb";
import { ErrorAlert } from "../ErrorAlert";
import { findUser } from "./findUser";
import { bindingsKey, useRoles } from "./useRoles";

// CreateBindingForm grants a role to a user, installation-wide or on one
// project (named owner/name; resolved to its id here).
export function CreateBindingForm() {
  const roles = useRoles();
  const roleClient = useClient(RoleService);
  const users = useClient(UserService);
  const projects = useClient(ProjectService);
  const queryClient = useQueryClient();
  const [role, setRole] = useState("");
  const [username, setUsername] = useState("");
  const [project, setProject] = useState("");

  const bind = useMutation({
    mutationFn: async () => {
      const user = await findUser(users, username);
      let projectId = "";
      const path = project.trim();
      if (path) {
        const [owner, ...rest] = path.split("/");
        const res = await projects.getProject({ owner, name: rest.join("/") });
        projectId = res.project?.id ?? "";
      }
      return roleClient.createRoleBinding({ role: role || roles.data?.[0]?.name || "", userId: user.id, projectId });
    },
    onSuccess: (res) => {
      void queryClient.invalidateQueries({ queryKey: bindingsKey });
      notifications.show({ color: "green", message: `Granted ${res.binding?.roleName} to ${username.trim()}.` });
      setUsername("");
      setProject("");
    },
  });
  const projectProblem = project.trim() && !/^[^/]+\/[^/]+$/.test(project.trim()) ? "Write it as owner/name." : null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (username.trim() && !projectProblem) {
      bind.mutate();
    }
  };
  const options = (roles.data ?? []).map((r) => ({ value: r.name, label: r.name }));

  return (
    <Paper withBorder p="md" radius="md">
      <form onSubmit={submit} noValidate aria-label="Grant a role">
        <Stack>
          <Title order={3} size="h5">
            Grant a role
          </Title>
          {bind.isError && <ErrorAlert error={bind.error} title="Could not grant the role" />}
          <Group align="flex-start" grow preventGrowOverflow={false} wrap="wrap">
            <NativeSelect
              label="Role"
              data={options}
              value={role || options[0]?.value || ""}
              onChange={(e) => setRole(e.currentTarget.value)}
              miw={160}
            />
            <TextInput label="User" placeholder="username" required value={username} onChange={(e) => setUsername(e.currentTarget.value)} miw={160} />
            <TextInput
              label="Project"
              description="owner/name; empty: installation-wide"
              placeholder="installation-wide"
              value={project}
              error={projectProblem}
              onChange={(e) => setProject(e.currentTarget.value)}
              miw={180}
            />
          </Group>
          <Group justify="flex-end">
            <Button type="submit" loading={bind.isPending} disabled={!username.trim() || options.length === 0 || !!projectProblem}>
              Grant role
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  );
}
