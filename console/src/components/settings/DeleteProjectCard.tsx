import { Button, Group, Modal, Stack, Text, TextInput } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { notifications } from "@mantine/notifications";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import { useClient } from "../../api/useClient";
import { ProjectService, type Project } from "../../gen/hearth/v1/project_pb";
import { paths } from "../../routes/paths";
import { ErrorAlert } from "../ErrorAlert";
import { projectKey } from "../project/useProject";
import { projectsKey } from "../projects/useProjects";
import { DangerCard } from "./DangerCard";

// DeleteProjectCard deletes the project once its full name is typed, then
// goes to the project list.
export function DeleteProjectCard({ project }: { project: Project }) {
  const projects = useClient(ProjectService);
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [opened, { open, close }] = useDisclosure(false);
  const [typed, setTyped] = useState("");
  const fullName = `${project.owner}/${project.name}`;
  const remove = useMutation({
    mutationFn: () => projects.deleteProject({ owner: project.owner, name: project.name }),
    onSuccess: () => {
      void navigate(paths.projects, { replace: true });
      queryClient.removeQueries({ queryKey: projectKey(project.owner, project.name) });
      void queryClient.invalidateQueries({ queryKey: projectsKey });
      notifications.show({ color: "green", message: `Deleted ${fullName}.` });
    },
  });
  const dismiss = () => {
    setTyped("");
    remove.reset();
    close();
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (typed === fullName) {
      remove.mutate();
    }
  };
  return (
    <DangerCard title="Delete this project" description="The project, its issues, merge requests and pipelines disappear at once. Its name may be reused.">
      <Button color="red" onClick={open}>
        Delete project
      </Button>
      <Modal opened={opened} onClose={dismiss} title={`Delete ${fullName}?`}>
        <form onSubmit={submit} noValidate>
          <Stack>
            {remove.isError && <ErrorAlert error={remove.error} title="Could not delete the project" />}
            <Text size="sm">
              This cannot be undone from the console. To confirm, type <b>{fullName}</b> below.
            </Text>
            <TextInput
              label="Project to delete"
              data-autofocus
              autoComplete="off"
              value={typed}
              onChange={(e) => setTyped(e.currentTarget.value)}
            />
            <Group justify="flex-end">
              <Button variant="default" onClick={dismiss}>
                Cancel
              </Button>
              <Button type="submit" color="red" loading={remove.isPending} disabled={typed !== fullName}>
                Delete this project
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
    </DangerCard>
  );
}
