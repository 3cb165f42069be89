import { UnstyledButton } from "@mantine/core";
import type { CSSProperties } from "react";
import type { DiffSide } from "./diffFile";
import type { LineHooks } from "./lineHooks";

interface Props {
  file: string;
  line?: number;
  side: DiffSide;
  hooks: LineHooks;
  // Whether this number is where the line's action is (a context line
  // acts on its new side only, so each line has one place).
  actionable: boolean;
  background?: string;
}

const cellStyle: CSSProperties = {
  width: "1%",
  minWidth: "3.5em",
  padding: "0 8px",
  textAlign: "right",
  color: "var(--mantine-color-dimmed)",
  userSelect: "none",
  verticalAlign: "top",
  whiteSpace: "nowrap",
};

// LineNumberCell is a line's number in one version of the file; with an
// onLineAction hook it is a button (keyboard reachable) that calls it.
export function LineNumberCell({ file, line, side, hooks, actionable, background }: Props) {
  const style = { ...cellStyle, background };
  if (line === undefined) {
    return <td style={style} />;
  }
  if (!actionable || !hooks.onLineAction) {
    return (
      <td style={style} data-line={line} data-side={side}>
        {line}
      </td>
    );
  }
  const act = hooks.onLineAction;
  return (
    <td style={style} data-line={line} data-side={side}>
      <UnstyledButton
        aria-label={`${hooks.lineActionLabel}: ${file}, ${side === "old" ? "old " : ""}line ${line}`}
        onClick={() => act(file, line, side)}
        fz="inherit"
        ff="inherit"
        c="inherit"
        w="100%"
        ta="right"
        style={{ cursor: "pointer" }}
      >
        {line}
      </UnstyledButton>
    </td>
  );
}
