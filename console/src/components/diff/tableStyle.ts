import type { CSSProperties } from "react";

// The table of a file's lines: monospace, as wide as its longest line
// (its container scrolls sideways on narrow screens).
export const diffTableStyle: CSSProperties = {
  borderCollapse: "collapse",
  width: "100%",
  fontFamily: "var(--mantine-font-family-monospace)",
  fontSize: "var(--mantine-font-size-xs)",
  lineHeight: 1.6,
};
