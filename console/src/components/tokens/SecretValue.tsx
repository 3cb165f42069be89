import { Code, Group } from "@mantine/core";
import { CopyValueButton } from "./CopyValueButton";

interface Props {
  value: string;
  // The copy button's accessible name.
  copyLabel: string;
  // An accessible name for the value itself.
  label: string;
  // Several lines (a command) rather than one word.
  block?: boolean;
}

// SecretValue shows a value to copy (a token, a command) in monospace, with
// a copy button beside it. Long values wrap rather than widen the page.
export function SecretValue({ value, copyLabel, label, block }: Props) {
  return (
    <Group gap="xs" wrap="nowrap" align="flex-start">
      <Code
        block={block}
        aria-label={label}
        style={{ flex: 1, minWidth: 0, wordBreak: "break-all", whiteSpace: block ? "pre-wrap" : undefined, padding: 8 }}
      >
        {value}
      </Code>
      <CopyValueButton value={value} label={copyLabel} />
    </Group>
  );
}
