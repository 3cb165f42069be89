import { Badge } from "@mantine/core";
import { severityLevel } from "./severity";

interface Props {
  number: number;
  // What the sender called it ("WARNING"); the level's name when empty.
  text: string;
}

// SeverityBadge shows a record's severity, coloured by its level.
export function SeverityBadge({ number, text }: Props) {
  const level = severityLevel(number);
  const label = text || level?.label || "—";
  return (
    <Badge
      size="xs"
      radius="sm"
      variant={level && level.min >= 17 ? "filled" : "light"}
      color={level?.color ?? "gray"}
      data-level={level?.value ?? "unspecified"}
      style={{ fontFamily: "var(--mantine-font-family-monospace)", maxWidth: "100%" }}
    >
      {label}
    </Badge>
  );
}
