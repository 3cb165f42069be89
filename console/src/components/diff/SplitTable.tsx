import { Fragment, useMemo } from "react";
import { CodeCell } from "./CodeCell";
import { HunkHeaderRow } from "./HunkHeaderRow";
import { LineNumberCell } from "./LineNumberCell";
import { lineBackground } from "./diffFile";
import { lineExtras, type LineHooks } from "./lineHooks";
import { splitRows, type DiffHunk } from "./parsePatch";
import { diffTableStyle } from "./tableStyle";

interface Props {
  file: string;
  hunks: DiffHunk[];
  hooks: LineHooks;
}

const extrasCell = { padding: 8, whiteSpace: "normal", fontFamily: "var(--mantine-font-family)", verticalAlign: "top" } as const;

// SplitTable shows a file's hunks side by side: the old version on the
// left, the new one on the right. An unchanged line acts on its new
// (right) number, as in the unified view, so each line has one place.
export function SplitTable({ file, hunks, hooks }: Props) {
  const rows = useMemo(() => hunks.map((h) => splitRows(h.lines)), [hunks]);
  return (
    <table style={{ ...diffTableStyle, tableLayout: "auto" }} data-mode="split">
      <colgroup>
        <col style={{ width: "1%" }} />
        <col style={{ width: "49%" }} />
        <col style={{ width: "1%" }} />
        <col style={{ width: "49%" }} />
      </colgroup>
      <tbody>
        {hunks.map((h, hi) => (
          <Fragment key={hi}>
            <HunkHeaderRow header={h.header} colSpan={4} />
            {rows[hi].map((r, ri) => {
              if (r.note) {
                return (
                  <tr key={ri} data-kind="note">
                    <td />
                    <CodeCell line={r.note} colSpan={3} />
                  </tr>
                );
              }
              const left = r.left && r.left.kind === "del" ? lineExtras(hooks, file, r.left.oldLine, "old") : null;
              const right = lineExtras(hooks, file, r.right?.newLine, "new");
              return (
                <Fragment key={ri}>
                  <tr>
                    <LineNumberCell
                      file={file}
                      line={r.left?.oldLine}
                      side="old"
                      hooks={hooks}
                      actionable={r.left?.kind === "del"}
                      background={r.left ? lineBackground[r.left.kind] : undefined}
                    />
                    <CodeCell line={r.left} />
                    <LineNumberCell
                      file={file}
                      line={r.right?.newLine}
                      side="new"
                      hooks={hooks}
                      actionable
                      background={r.right ? lineBackground[r.right.kind] : undefined}
                    />
                    <CodeCell line={r.right} />
                  </tr>
                  {(left || right) && (
                    <tr data-extras>
                      <td colSpan={2} style={extrasCell}>
                        {left}
                      </td>
                      <td colSpan={2} style={extrasCell}>
                        {right}
                      </td>
                    </tr>
                  )}
                </Fragment>
              );
            })}
          </Fragment>
        ))}
      </tbody>
    </table>
  );
}
