import { Button, Group, Stack, Text, Title } from "@mantine/core";
import { IconPlus } from "@tabler/icons-react";
import { useState, type ReactNode } from "react";
import type { Secret } from "../../gen/hearth/v1/secret_pb";
import { ReadOnlyNotice } from "../settings/ReadOnlyNotice";
import { RotateKeyCard } from "./RotateKeyCard";
import { SecretList } from "./SecretList";
import { SecretModal } from "./SecretModal";
import type { SecretScope } from "./secretScope";
import { useSecrets } from "./useSecrets";

interface Props {
  scope: SecretScope;
  canWrite: boolean;
  // What the page says above the list.
  intro: ReactNode;
  // Said to a reader who may not change the secrets; nothing when the
  // page around says it already.
  readOnly?: string;
}

// SecretsPanel is a scope's secrets page: the list, a button to add one,
// the dialog that adds and edits, and the data key's rotation where the
// scope has it. The project's settings and the administration share it.
export function SecretsPanel({ scope, canWrite, intro, readOnly }: Props) {
  // undefined: closed; null: a new secret; a secret: editing it.
  const [editing, setEditing] = useState<Secret | null | undefined>(undefined);
  const list = useSecrets(scope);
  return (
    <Stack>
      <Group justify="space-between" wrap="wrap" gap="sm">
        <Title order={2} size="h3">
          Secrets
        </Title>
        {canWrite && (
          <Button leftSection={<IconPlus size={16} aria-hidden />} onClick={() => setEditing(null)} disabled={!list.isSuccess}>
            New secret
          </Button>
        )}
      </Group>
      <Text c="dimmed" size="sm" component="div">
        {intro}
      </Text>
      {!canWrite && readOnly && <ReadOnlyNotice>{readOnly}</ReadOnlyNotice>}
      <SecretList
        scope={scope}
        canWrite={canWrite}
        onEdit={setEditing}
        empty={
          canWrite
            ? "Add one with New secret. Jobs ask for it by name under secrets: in .hearth.yml."
            : "Secrets added here are listed by name; their values are never shown."
        }
      />
      {canWrite && scope.rotateKey && <RotateKeyCard where={scope.where} rotate={scope.rotateKey} />}
      {editing !== undefined && (
        <SecretModal
          key={editing ? `${editing.name}\u0000${editing.environment}` : "new"}
          scope={scope}
          secret={editing}
          existing={list.data ?? []}
          opened
          onClose={() => setEditing(undefined)}
        />
      )}
    </Stack>
  );
}
