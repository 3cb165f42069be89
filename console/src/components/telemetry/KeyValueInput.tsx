import { TagsInput } from "@mantine/core";
import { useState } from "react";
import { cleanKeyValues, isKeyValue } from "./kvFilters";

interface Props {
  label: string;
  placeholder?: string;
  value: string[];
  onChange(value: string[]): void;
  // Suggestions (e.g. label names seen), offered as "name=".
  data?: string[];
}

// KeyValueInput collects "key=value" filters as removable tags; Enter adds
// one, and anything without a key and "=" is refused with a reason.
export function KeyValueInput({ label, placeholder = "key=value, then Enter", value, onChange, data }: Props) {
  const [error, setError] = useState<string | null>(null);
  return (
    <TagsInput
      size="xs"
      label={label}
      placeholder={placeholder}
      value={value}
      data={data}
      splitChars={[]}
      clearable
      acceptValueOnBlur
      error={error}
      onChange={(next) => {
        const bad = next.find((v) => !isKeyValue(v.trim()));
        setError(bad === undefined ? null : `"${bad}" is not key=value`);
        onChange(cleanKeyValues(next));
      }}
      style={{ flex: "1 1 220px" }}
    />
  );
}
