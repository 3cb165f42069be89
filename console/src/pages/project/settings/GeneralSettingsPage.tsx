import { Alert, Stack, Title } from "@mantine/core";
import { GeneralForm } from "../../../components/settings/GeneralForm";
import { useSettingsContext } from "../../../components/settings/settingsContext";

// GeneralSettingsPage: description, visibility, default branch.
export function GeneralSettingsPage() {
  const { project, canAdmin } = useSettingsContext();
  return (
    <Stack>
      <Title order={2} size="h3">
        General
      </Title>
      {project.archived && canAdmin && (
        <Alert color="gray" variant="light" title="This project is archived">
          It is read-only; unarchive it in the danger zone to change it again.
        </Alert>
      )}
      <GeneralForm key={`${project.id}:${project.description}:${project.visibility}:${project.defaultBranch}`} project={project} canAdmin={canAdmin} />
    </Stack>
  );
}
