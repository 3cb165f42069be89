import { Button, Group, Paper, TextInput } from "@mantine/core";
import { useState, type FormEvent } from "react";
import type { AuditFilter } from "./useAuditEvents";
import { emptyAuditFilter } from "./useAuditEvents";

interface Props {
  value: AuditFilter;
  onChange(filter: AuditFilter): void;
}

// AuditFilters: the filters ListAuditEvents supports (action prefix,
// actor, project, since), applied together.
export function AuditFilters({ value, onChange }: Props) {
  const [draft, setDraft] = useState(value);
  const set = (key: keyof AuditFilter, v: string) => setDraft((d) => ({ ...d, [key]: v }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onChange({
      actionPrefix: draft.actionPrefix.trim(),
      actor: draft.actor.trim(),
      project: draft.project.trim(),
      since: draft.since,
    });
  };
  const active = Object.values(value).some(Boolean);
  return (
    <Paper withBorder p="sm" radius="md">
      <form onSubmit={submit} aria-label="Filter the audit log">
        <Group align="flex-end" gap="sm" wrap="wrap">
          <TextInput
            label="Action starts with"
            placeholder="user. or role.bind"
            value={draft.actionPrefix}
            onChange={(e) => set("actionPrefix", e.currentTarget.value)}
            miw={160}
            style={{ flex: 1 }}
          />
          <TextInput label="Actor" placeholder="username" value={draft.actor} onChange={(e) => set("actor", e.currentTarget.value)} miw={140} style={{ flex: 1 }} />
          <TextInput label="Project" placeholder="owner/name" value={draft.project} onChange={(e) => set("project", e.currentTarget.value)} miw={140} style={{ flex: 1 }} />
          <TextInput label="Since" type="date" value={draft.since} onChange={(e) => set("since", e.currentTarget.value)} miw={140} />
          <Group gap="xs">
            <Button type="submit">Apply</Button>
            {active && (
              <Button
                variant="default"
                onClick={() => {
                  setDraft(emptyAuditFilter);
                  onChange(emptyAuditFilter);
                }}
              >
                Clear
              </Button>
            )}
          </Group>
        </Group>
      </form>
    </Paper>
  );
}
