import { SegmentedControl, Stack, Text } from "@mantine/core";
import { useId } from "react";
import { Visibility } from "../../gen/hearth/v1/project_pb";
import { visibilityHelp } from "./visibility";

interface Props {
  value: Visibility;
  onChange(v: Visibility): void;
}

// VisibilityPicker chooses who may see a project, saying what each choice
// means.
export function VisibilityPicker({ value, onChange }: Props) {
  const labelId = useId();
  return (
    <Stack gap={4}>
      <Text size="sm" fw={500} id={labelId}>
        Visibility
      </Text>
      <SegmentedControl
        aria-labelledby={labelId}
        value={String(value)}
        onChange={(v) => onChange(Number(v) as Visibility)}
        data={[
          { value: String(Visibility.PRIVATE), label: "Private" },
          { value: String(Visibility.INTERNAL), label: "Internal" },
          { value: String(Visibility.PUBLIC), label: "Public" },
        ]}
      />
      <Text size="xs" c="dimmed">
        {visibilityHelp[value]}
      </Text>
    </Stack>
  );
}
