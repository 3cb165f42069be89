import { Button, Group, Stack, Text, Title } from "@mantine/core";
import { IconPlus } from "@tabler/icons-react";
import { useState } from "react";
import type { ProtectedRef } from "../../../gen/hearth/v1/refrule_pb";
import { RefRuleList } from "../../../components/settings/RefRuleList";
import { RefRuleModal } from "../../../components/settings/RefRuleModal";
import { useSettingsContext } from "../../../components/settings/settingsContext";

// ProtectedBranchesPage: the project's protected branch and tag rules.
export function ProtectedBranchesPage() {
  const { project, canAdmin } = useSettingsContext();
  // undefined: closed; null: a new rule; a rule: editing it.
  const [editing, setEditing] = useState<ProtectedRef | null | undefined>(undefined);
  return (
    <Stack>
      <Group justify="space-between" wrap="wrap" gap="sm">
        <Title order={2} size="h3">
          Protected branches and tags
        </Title>
        {canAdmin && (
          <Button leftSection={<IconPlus size={16} aria-hidden />} onClick={() => setEditing(null)}>
            New rule
          </Button>
        )}
      </Group>
      <Text c="dimmed" size="sm">
        Rules are checked on every push. When several match a branch, the strictest applies to merge requests.
      </Text>
      <RefRuleList project={project} canAdmin={canAdmin} onEdit={setEditing} />
      {editing !== undefined && (
        <RefRuleModal
          key={editing ? `${editing.kind}:${editing.pattern}` : "new"}
          project={project}
          rule={editing}
          opened
          onClose={() => setEditing(undefined)}
        />
      )}
    </Stack>
  );
}
