import { CloseButton, TextInput } from "@mantine/core";
import { IconSearch } from "@tabler/icons-react";

interface Props {
  value: string;
  onChange(value: string): void;
}

export function ProjectSearch({ value, onChange }: Props) {
  return (
    <TextInput
      type="search"
      aria-label="Search projects"
      placeholder="Search by owner/name or description"
      leftSection={<IconSearch size={16} aria-hidden />}
      rightSection={value ? <CloseButton aria-label="Clear search" onClick={() => onChange("")} /> : null}
      value={value}
      onChange={(e) => onChange(e.currentTarget.value)}
    />
  );
}
