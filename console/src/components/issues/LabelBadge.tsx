import { Badge, Tooltip } from "@mantine/core";
import type { Label } from "../../gen/hearth/v1/issue_pb";

const hexColor = /^#[0-9a-fA-F]{6}$/;

interface Props {
  name: string;
  // The project's label of that name, for its colour and description.
  label?: Label;
  onClick?: () => void;
}

// LabelBadge is a label in its colour (text contrasting with it).
export function LabelBadge({ name, label, onClick }: Props) {
  const color = label && hexColor.test(label.color) ? label.color : "gray";
  const badge = (
    <Badge
      color={color}
      autoContrast
      variant="filled"
      radius="sm"
      style={{ textTransform: "none", cursor: onClick ? "pointer" : undefined }}
      component={onClick ? "button" : "span"}
      onClick={onClick}
    >
      {name}
    </Badge>
  );
  return label?.description ? <Tooltip label={label.description}>{badge}</Tooltip> : badge;
}
