import { ActionIcon, Button, Group, Stack, Text, TextInput } from "@mantine/core";
import { IconPlus, IconTrash } from "@tabler/icons-react";

export interface Variable {
  key: number;
  name: string;
  value: string;
}

// The server's rule for variable names (proto/hearth/v1/pipeline.proto).
export const variableName = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function variableProblem(v: Variable, all: Variable[]): string | null {
  const name = v.name.trim();
  if (!name) {
    return v.value ? "Name it" : null;
  }
  if (!variableName.test(name)) {
    return "Letters, digits and '_', not starting with a digit";
  }
  if (all.some((o) => o.key !== v.key && o.name.trim() === name)) {
    return "Named twice";
  }
  return null;
}

interface Props {
  value: Variable[];
  onChange(value: Variable[]): void;
}

let nextKey = 1;

// VariablesEditor edits NAME=value pairs for a manual run.
export function VariablesEditor({ value, onChange }: Props) {
  const update = (key: number, field: "name" | "value", text: string) =>
    onChange(value.map((v) => (v.key === key ? { ...v, [field]: text } : v)));
  return (
    <Stack gap="xs">
      <Text size="sm" fw={500}>
        Variables
      </Text>
      {value.length === 0 && (
        <Text size="xs" c="dimmed">
          Extra environment variables for every job of this run (optional).
        </Text>
      )}
      {value.map((v, i) => (
        <Group key={v.key} gap="xs" align="flex-start" wrap="nowrap">
          <TextInput
            aria-label={`Variable ${i + 1} name`}
            placeholder="NAME"
            ff="monospace"
            style={{ flex: 1, minWidth: 0 }}
            value={v.name}
            error={variableProblem(v, value)}
            onChange={(e) => update(v.key, "name", e.currentTarget.value)}
          />
          <TextInput
            aria-label={`Variable ${i + 1} value`}
            placeholder="value"
            style={{ flex: 1, minWidth: 0 }}
            value={v.value}
            onChange={(e) => update(v.key, "value", e.currentTarget.value)}
          />
          <ActionIcon
            variant="subtle"
            color="gray"
            size="lg"
            aria-label={`Remove variable ${i + 1}`}
            onClick={() => onChange(value.filter((o) => o.key !== v.key))}
          >
            <IconTrash size={16} aria-hidden />
          </ActionIcon>
        </Group>
      ))}
      <Group>
        <Button
          variant="subtle"
          size="compact-sm"
          leftSection={<IconPlus size={14} aria-hidden />}
          onClick={() => onChange([...value, { key: nextKey++, name: "", value: "" }])}
        >
          Add variable
        </Button>
      </Group>
    </Stack>
  );
}
