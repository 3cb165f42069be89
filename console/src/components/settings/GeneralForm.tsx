import { Button, Group, NativeSelect, Paper, Stack, Text, Textarea, TextInput } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useClient } from "../../api/useClient";
import { ProjectService, Visibility, type Project } from "../../gen/hearth/v1/project_pb";
import { ErrorAlert } from "../ErrorAlert";
import { visibilityLabel } from "../projects/visibility";
import { useBranchNames } from "./useBranches";
import { useUpdateProjectCache } from "./useUpdateProjectCache";
import { VisibilityPicker } from "../projects/VisibilityPicker";

interface Props {
  project: Project;
  canAdmin: boolean;
}

// GeneralForm edits a project's description, visibility and default
// branch. Only what changed is sent (UpdateProject changes the fields
// that are set).
export function GeneralForm({ project, canAdmin }: Props) {
  const projects = useClient(ProjectService);
  const branches = useBranchNames(project.owner, project.name);
  const store = useUpdateProjectCache();
  const [description, setDescription] = useState(project.description);
  const [visibility, setVisibility] = useState<Visibility>(project.visibility || Visibility.PRIVATE);
  const [defaultBranch, setDefaultBranch] = useState(project.defaultBranch);

  const changed = {
    description: description !== project.description,
    visibility: visibility !== project.visibility,
    defaultBranch: defaultBranch !== project.defaultBranch,
  };
  const dirty = changed.description || changed.visibility || changed.defaultBranch;

  const save = useMutation({
    mutationFn: () =>
      projects.updateProject({
        owner: project.owner,
        name: project.name,
        description: changed.description ? description : undefined,
        visibility: changed.visibility ? visibility : Visibility.UNSPECIFIED,
        defaultBranch: changed.defaultBranch ? defaultBranch : undefined,
      }),
    onSuccess: (res) => {
      store(res.project);
      if (res.project) {
        setDescription(res.project.description);
        setVisibility(res.project.visibility);
        setDefaultBranch(res.project.defaultBranch);
      }
      notifications.show({ color: "green", message: "Saved the project's settings." });
    },
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (dirty) {
      save.mutate();
    }
  };
  const reset = () => {
    setDescription(project.description);
    setVisibility(project.visibility || Visibility.PRIVATE);
    setDefaultBranch(project.defaultBranch);
    save.reset();
  };

  const names = branches.data ?? [];
  const branchOptions = names.includes(project.defaultBranch) ? names : [project.defaultBranch, ...names];

  if (!canAdmin) {
    return (
      <Paper withBorder p="md" radius="md">
        <Stack gap="xs">
          <Text size="sm">
            <b>Description:</b> {project.description || "none"}
          </Text>
          <Text size="sm">
            <b>Visibility:</b> {visibilityLabel[project.visibility]}
          </Text>
          <Text size="sm">
            <b>Default branch:</b> {project.defaultBranch}
          </Text>
        </Stack>
      </Paper>
    );
  }

  return (
    <Paper withBorder p="md" radius="md">
      <form onSubmit={submit} noValidate aria-label="General settings">
        <Stack>
          {save.isError && <ErrorAlert error={save.error} title="Could not save the settings" />}
          <Textarea
            label="Description"
            autosize
            minRows={2}
            maxRows={8}
            value={description}
            onChange={(e) => setDescription(e.currentTarget.value)}
          />
          <VisibilityPicker value={visibility} onChange={setVisibility} />
          {branches.isError ? (
            <TextInput
              label="Default branch"
              description="The branches could not be listed; type the name."
              value={defaultBranch}
              onChange={(e) => setDefaultBranch(e.currentTarget.value)}
            />
          ) : (
            <NativeSelect
              label="Default branch"
              description="Where clones start and merge requests aim by default. Also moves the repository's HEAD."
              data={branchOptions}
              value={defaultBranch}
              disabled={branches.isPending}
              onChange={(e) => setDefaultBranch(e.currentTarget.value)}
            />
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={reset} disabled={!dirty}>
              Reset
            </Button>
            <Button type="submit" loading={save.isPending} disabled={!dirty}>
              Save changes
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  );
}
