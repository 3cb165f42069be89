import type { ReactNode } from "react";
import type { DiffSide } from "./diffFile";

// LineHooks are DiffView's optional per-line hooks, handed down to the
// tables of one file.
export interface LineHooks {
  onLineAction?: (file: string, line: number, side: DiffSide) => void;
  renderLineExtras?: (file: string, line: number, side: DiffSide) => ReactNode;
  lineActionLabel: string;
}

// lineExtras calls renderLineExtras, treating null, undefined and false
// as nothing to show.
export function lineExtras(hooks: LineHooks, file: string, line: number | undefined, side: DiffSide): ReactNode {
  if (line === undefined || !hooks.renderLineExtras) {
    return null;
  }
  const node = hooks.renderLineExtras(file, line, side);
  return node === undefined || node === null || node === false ? null : node;
}
