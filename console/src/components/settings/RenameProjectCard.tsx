import { Button, Group, TextInput } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import { useClient } from "../../api/useClient";
import { ProjectService, type Project } from "../../gen/hearth/v1/project_pb";
import { projectPath } from "../../routes/paths";
import { ErrorAlert } from "../ErrorAlert";
import { projectKey } from "../project/useProject";
import { nameProblem } from "../projects/CreateProjectModal";
import { DangerCard } from "./DangerCard";
import { useUpdateProjectCache } from "./useUpdateProjectCache";

// RenameProjectCard gives the project a new name and goes to its new URL.
export function RenameProjectCard({ project }: { project: Project }) {
  const projects = useClient(ProjectService);
  const queryClient = useQueryClient();
  const store = useUpdateProjectCache();
  const navigate = useNavigate();
  const [name, setName] = useState(project.name);
  const problem = nameProblem(name.trim());
  const rename = useMutation({
    mutationFn: () => projects.renameProject({ owner: project.owner, name: project.name, newName: name.trim() }),
    onSuccess: (res) => {
      const p = res.project;
      queryClient.removeQueries({ queryKey: projectKey(project.owner, project.name) });
      store(p);
      notifications.show({ color: "green", message: `Renamed to ${p?.owner}/${p?.name}. The old URL no longer works.` });
      if (p) {
        void navigate(projectPath(p.owner, p.name, "settings/danger"), { replace: true });
      }
    },
  });
  const unchanged = name.trim() === project.name;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!problem && name.trim() && !unchanged) {
      rename.mutate();
    }
  };
  return (
    <DangerCard
      title="Rename"
      description="The project's URL and clone URL change; the old ones stop working. Update your git remotes."
    >
      <form onSubmit={submit} noValidate aria-label="Rename the project" style={{ flex: 1, minWidth: 240, maxWidth: 420 }}>
        {rename.isError && <ErrorAlert error={rename.error} title="Could not rename the project" />}
        <Group align="flex-start" gap="xs" wrap="nowrap" mt={rename.isError ? "xs" : 0}>
          <TextInput
            aria-label="New name"
            value={name}
            error={problem}
            onChange={(e) => setName(e.currentTarget.value)}
            style={{ flex: 1 }}
          />
          <Button type="submit" variant="outline" color="red" loading={rename.isPending} disabled={!name.trim() || !!problem || unchanged}>
            Rename
          </Button>
        </Group>
      </form>
    </DangerCard>
  );
}
