import { Stack, Title } from "@mantine/core";
import { ArchiveProjectCard } from "../../../components/settings/ArchiveProjectCard";
import { DeleteProjectCard } from "../../../components/settings/DeleteProjectCard";
import { RenameProjectCard } from "../../../components/settings/RenameProjectCard";
import { TransferProjectCard } from "../../../components/settings/TransferProjectCard";
import { useSettingsContext } from "../../../components/settings/settingsContext";

// DangerZonePage: archive, rename, transfer and delete. Only maintainers
// see it.
export function DangerZonePage() {
  const { project, canAdmin } = useSettingsContext();
  if (!canAdmin) {
    return null;
  }
  return (
    <Stack>
      <Title order={2} size="h3" c="red">
        Danger zone
      </Title>
      <ArchiveProjectCard project={project} />
      <RenameProjectCard key={`rename:${project.name}`} project={project} />
      <TransferProjectCard key={`transfer:${project.owner}`} project={project} />
      <DeleteProjectCard project={project} />
    </Stack>
  );
}
