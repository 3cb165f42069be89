import type { CSSProperties } from "react";
import { lineBackground, lineSign } from "./diffFile";
import type { DiffLine } from "./parsePatch";

const style: CSSProperties = {
  padding: "0 8px",
  whiteSpace: "pre",
  verticalAlign: "top",
};

// CodeCell is a diff line's text with its +/- sign (the sign is not
// selected when copying).
export function CodeCell({ line, colSpan }: { line?: DiffLine; colSpan?: number }) {
  if (!line) {
    return <td colSpan={colSpan} style={{ ...style, background: "var(--mantine-color-default-hover)" }} />;
  }
  return (
    <td colSpan={colSpan} style={{ ...style, background: lineBackground[line.kind] }}>
      <span style={{ userSelect: "none", color: "var(--mantine-color-dimmed)" }}>
        {lineSign[line.kind]}
      </span>
      {line.kind === "note" ? <em style={{ color: "var(--mantine-color-dimmed)" }}>{line.text}</em> : line.text}
    </td>
  );
}
