import { Stack, Text, Title } from "@mantine/core";
import { AddMemberForm } from "../../../components/settings/AddMemberForm";
import { MemberList } from "../../../components/settings/MemberList";
import { useSettingsContext } from "../../../components/settings/settingsContext";

// MembersSettingsPage: who has a role on the project itself.
export function MembersSettingsPage() {
  const { project, canAdmin } = useSettingsContext();
  return (
    <Stack>
      <Title order={2} size="h3">
        Members
      </Title>
      <Text c="dimmed" size="sm">
        Users with a role on this project. Members of the owning group have their roles on the group.
      </Text>
      {canAdmin && <AddMemberForm project={project} />}
      <MemberList project={project} canAdmin={canAdmin} />
    </Stack>
  );
}
