import { Fragment } from "react";
import { CodeCell } from "./CodeCell";
import { ExtrasRow } from "./ExtrasRow";
import { HunkHeaderRow } from "./HunkHeaderRow";
import { LineNumberCell } from "./LineNumberCell";
import { lineBackground } from "./diffFile";
import { lineExtras, type LineHooks } from "./lineHooks";
import type { DiffHunk } from "./parsePatch";
import { diffTableStyle } from "./tableStyle";

interface Props {
  file: string;
  hunks: DiffHunk[];
  hooks: LineHooks;
}

// UnifiedTable shows a file's hunks one line under another: old and new
// line numbers, then the line. A deleted line acts on its old number, an
// added or unchanged line on its new one.
export function UnifiedTable({ file, hunks, hooks }: Props) {
  return (
    <table style={diffTableStyle} data-mode="unified">
      <tbody>
        {hunks.map((h, hi) => (
          <Fragment key={hi}>
            <HunkHeaderRow header={h.header} colSpan={3} />
            {h.lines.map((l, li) => {
              const side = l.kind === "del" ? "old" : "new";
              const extras = lineExtras(hooks, file, side === "old" ? l.oldLine : l.newLine, side);
              const bg = lineBackground[l.kind];
              return (
                <Fragment key={li}>
                  <tr data-kind={l.kind}>
                    <LineNumberCell file={file} line={l.oldLine} side="old" hooks={hooks} actionable={l.kind === "del"} background={bg} />
                    <LineNumberCell file={file} line={l.newLine} side="new" hooks={hooks} actionable={l.kind !== "del"} background={bg} />
                    <CodeCell line={l} />
                  </tr>
                  {extras && <ExtrasRow colSpan={3}>{extras}</ExtrasRow>}
                </Fragment>
              );
            })}
          </Fragment>
        ))}
      </tbody>
    </table>
  );
}
