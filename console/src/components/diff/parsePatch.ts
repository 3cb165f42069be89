// parsePatch turns one file's unified diff text (FileDiff.patch: from its
// "diff --git" header on) into hunks of numbered lines, and splitRows
// pairs a hunk's lines for the side-by-side view.

export type DiffLineKind = "context" | "add" | "del" | "note";

export interface DiffLine {
  kind: DiffLineKind;
  // The line without its leading "+", "-" or " ".
  text: string;
  // Line numbers in the old and new file (context lines have both, added
  // lines only newLine, deleted lines only oldLine, notes neither).
  oldLine?: number;
  newLine?: number;
}

export interface DiffHunk {
  // The "@@ -a,b +c,d @@ context" line.
  header: string;
  lines: DiffLine[];
}

const hunkHeader = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/;

export function parsePatch(patch: string): DiffHunk[] {
  const hunks: DiffHunk[] = [];
  let hunk: DiffHunk | null = null;
  let oldNo = 0;
  let newNo = 0;
  const lines = patch.split("\n");
  if (lines.length > 0 && lines[lines.length - 1] === "") {
    lines.pop();
  }
  for (const raw of lines) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    const m = hunkHeader.exec(line);
    if (m) {
      hunk = { header: line, lines: [] };
      hunks.push(hunk);
      oldNo = Number(m[1]);
      newNo = Number(m[2]);
      continue;
    }
    // A second section (a type change is a deletion and a creation): its
    // file headers are not lines of the previous hunk.
    if (line.startsWith("diff --git ")) {
      hunk = null;
      continue;
    }
    if (!hunk) {
      continue; // "diff --git", "index", "---", "+++", mode lines
    }
    const sign = line.charAt(0);
    const text = line.slice(1);
    if (sign === "+") {
      hunk.lines.push({ kind: "add", text, newLine: newNo++ });
    } else if (sign === "-") {
      hunk.lines.push({ kind: "del", text, oldLine: oldNo++ });
    } else if (sign === " " || line === "") {
      hunk.lines.push({ kind: "context", text, oldLine: oldNo++, newLine: newNo++ });
    } else {
      // "\ No newline at end of file", or anything unexpected.
      hunk.lines.push({ kind: "note", text: line.replace(/^\\ ?/, "") });
    }
  }
  return hunks;
}

// SplitRow is one row of the side-by-side view: the old line on the left,
// the new one on the right (a context line on both), or a note across.
export interface SplitRow {
  left?: DiffLine;
  right?: DiffLine;
  note?: DiffLine;
}

// splitRows pairs each run of deleted lines with the added lines that
// follow it, row by row, as side-by-side diffs do.
export function splitRows(lines: DiffLine[]): SplitRow[] {
  const rows: SplitRow[] = [];
  let dels: DiffLine[] = [];
  let adds: DiffLine[] = [];
  const flush = () => {
    for (let i = 0; i < Math.max(dels.length, adds.length); i++) {
      rows.push({ left: dels[i], right: adds[i] });
    }
    dels = [];
    adds = [];
  };
  for (const l of lines) {
    switch (l.kind) {
      case "del":
        if (adds.length > 0) {
          flush();
        }
        dels.push(l);
        break;
      case "add":
        adds.push(l);
        break;
      case "context":
        flush();
        rows.push({ left: l, right: l });
        break;
      default:
        flush();
        rows.push({ note: l });
    }
  }
  flush();
  return rows;
}
