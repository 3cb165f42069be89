import { Button, Group, Modal, Stack, TextInput, Textarea } from "@mantine/core";
import { Code } from "@connectrpc/connect";
import { notifications } from "@mantine/notifications";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import { errorCode } from "../../api/errors";
import { useClient } from "../../api/useClient";
import { ProjectService, Visibility } from "../../gen/hearth/v1/project_pb";
import { projectPath } from "../../routes/paths";
import { ErrorAlert } from "../ErrorAlert";
import { projectsKey } from "./useProjects";
import { VisibilityPicker } from "./VisibilityPicker";

// The server's rule (proto/hearth/v1/project.proto), checked here first
// for a quicker answer.
const namePattern = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$/;

export function nameProblem(name: string): string | null {
  if (!name) {
    return null;
  }
  if (!namePattern.test(name) || name.includes("..") || name.toLowerCase().endsWith(".git")) {
    return "Use 1–100 letters, digits, '.', '_' or '-', not starting with '.' or '-', without '..' or a '.git' ending.";
  }
  return null;
}

interface Props {
  opened: boolean;
  onClose(): void;
}

// CreateProjectModal creates a project in the user's own namespace.
export function CreateProjectModal({ opened, onClose }: Props) {
  const projects = useClient(ProjectService);
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [visibility, setVisibility] = useState<Visibility>(Visibility.PRIVATE);

  const create = useMutation({
    mutationFn: () => projects.createProject({ name: name.trim(), description: description.trim(), visibility }),
    onSuccess: (res) => {
      void queryClient.invalidateQueries({ queryKey: projectsKey });
      notifications.show({ color: "green", message: `Created ${res.project?.owner}/${res.project?.name}.` });
      close();
      // Straight to the new project, which tells how to push to it.
      if (res.project) {
        void navigate(projectPath(res.project.owner, res.project.name));
      }
    },
  });

  const close = () => {
    setName("");
    setDescription("");
    setVisibility(Visibility.PRIVATE);
    create.reset();
    onClose();
  };

  const problem = nameProblem(name.trim());
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!problem && name.trim()) {
      create.mutate();
    }
  };
  const errorTitle =
    create.error && errorCode(create.error) === Code.AlreadyExists ? "You already have a project with that name." : undefined;

  return (
    <Modal opened={opened} onClose={close} title="New project" size="lg">
      <form onSubmit={submit} noValidate>
        <Stack>
          {create.isError && <ErrorAlert error={create.error} title={errorTitle} />}
          <TextInput
            label="Name"
            description="Part of the project's URL and clone URL."
            required
            data-autofocus
            value={name}
            error={problem}
            onChange={(e) => setName(e.currentTarget.value)}
          />
          <Textarea
            label="Description"
            autosize
            minRows={2}
            maxRows={6}
            value={description}
            onChange={(e) => setDescription(e.currentTarget.value)}
          />
          <VisibilityPicker value={visibility} onChange={setVisibility} />
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button type="submit" loading={create.isPending} disabled={!name.trim() || problem !== null}>
              Create project
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
