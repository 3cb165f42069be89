import { create } from "@bufbuild/protobuf";
import { MantineProvider } from "@mantine/core";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { DiffSchema, FileStatus } from "../../gen/hearth/v1/repository_pb";
import { theme } from "../../theme/theme";
import { DiffView, type DiffViewProps } from "./DiffView";
import { parsePatch, splitRows } from "./parsePatch";

const patch = `diff --git a/main.go b/main.go
index 1111111..2222222 100644
--- a/main.go
+++ b/main.go
@@ -1,4 +1,4 @@ package main
 package main
-func old() {}
+func renamed() {}
+// added
 // end
\\ No newline at end of file
`;

const diff = create(DiffSchema, {
  additions: 2,
  deletions: 1,
  files: [
    { oldPath: "main.go", newPath: "main.go", status: FileStatus.MODIFIED, additions: 2, deletions: 1, patch },
    { oldPath: "", newPath: "logo.png", status: FileStatus.ADDED, isBinary: true },
    { oldPath: "a.txt", newPath: "b.txt", status: FileStatus.RENAMED, similarity: 100 },
    { oldPath: "big.txt", newPath: "", status: FileStatus.DELETED, deletions: 9000, patchTruncated: true },
  ],
});

function renderDiff(props: Partial<DiffViewProps> = {}) {
  return render(
    <MantineProvider theme={theme}>
      <DiffView diff={diff} {...props} />
    </MantineProvider>,
  );
}

describe("parsePatch", () => {
  it("numbers lines on both sides and pairs them for split view", () => {
    const [h] = parsePatch(patch);
    expect(h.header).toBe("@@ -1,4 +1,4 @@ package main");
    expect(h.lines.map((l) => [l.kind, l.oldLine, l.newLine])).toEqual([
      ["context", 1, 1],
      ["del", 2, undefined],
      ["add", undefined, 2],
      ["add", undefined, 3],
      ["context", 3, 4],
      ["note", undefined, undefined],
    ]);
    const rows = splitRows(h.lines);
    expect(rows[1].left?.text).toBe("func old() {}");
    expect(rows[1].right?.text).toBe("func renamed() {}");
    expect(rows[2].left).toBeUndefined();
    expect(rows[2].right?.text).toBe("// added");
  });

  it("starts over at a second section (a type change)", () => {
    const two = "diff --git a/x b/x\n--- a/x\n+++ /dev/null\n@@ -1 +0,0 @@\n-a\ndiff --git a/x b/x\n--- /dev/null\n+++ b/x\n@@ -0,0 +1 @@\n+b\n";
    const hunks = parsePatch(two);
    expect(hunks).toHaveLength(2);
    expect(hunks[0].lines).toEqual([{ kind: "del", text: "a", oldLine: 1 }]);
    expect(hunks[1].lines).toEqual([{ kind: "add", text: "b", newLine: 1 }]);
  });
});

describe("DiffView", () => {
  it("shows each file with its status, counts and notices", () => {
    renderDiff();
    expect(screen.getByText("4 files changed", { exact: false })).toBeInTheDocument();
    expect(screen.getByText("modified")).toBeInTheDocument();
    expect(screen.getByText("added")).toBeInTheDocument();
    expect(screen.getByText("deleted")).toBeInTheDocument();
    expect(screen.getByText("a.txt → b.txt")).toBeInTheDocument();
    expect(screen.getByLabelText("2 added, 1 deleted")).toBeInTheDocument();
    expect(screen.getByText("Binary file not shown.")).toBeInTheDocument();
    expect(screen.getByText("This file's diff is too large to show in full.")).toBeInTheDocument();
    expect(screen.getByText("No newline at end of file")).toBeInTheDocument();
  });

  it("switches between unified and split layouts", async () => {
    const { container } = renderDiff();
    const user = userEvent.setup();
    const table = () => container.querySelector("table[data-mode]") as HTMLTableElement;
    expect(table()).toHaveAttribute("data-mode", "unified");
    // Unified: one row per line (hunk header, 5 lines, the note).
    expect(table().querySelectorAll("tbody > tr")).toHaveLength(7);
    await user.click(screen.getByRole("radio", { name: "Split" }));
    expect(table()).toHaveAttribute("data-mode", "split");
    // Split: the deleted and first added line share a row.
    expect(table().querySelectorAll("tbody > tr")).toHaveLength(6);
    const paired = within(table()).getByText("func old() {}").closest("tr") as HTMLTableRowElement;
    expect(paired).toHaveTextContent("func renamed() {}");
    expect(window.localStorage.getItem("hearth.diffMode")).toBe('"split"');
  });

  it("folds a file from its header", async () => {
    renderDiff();
    const user = userEvent.setup();
    const header = screen.getByRole("button", { name: "main.go" });
    expect(header).toHaveAttribute("aria-expanded", "true");
    await user.click(header);
    expect(header).toHaveAttribute("aria-expanded", "false");
    expect(screen.queryByText("func old() {}")).not.toBeInTheDocument();
  });

  it("calls the line action with file, line and side, and renders line extras", async () => {
    const onLineAction = vi.fn();
    const renderLineExtras = (file: string, line: number, side: string) =>
      file === "main.go" && line === 2 && side === "old" ? <span>comment on the old line</span> : null;
    renderDiff({ onLineAction, renderLineExtras });
    const user = userEvent.setup();
    await user.click(screen.getByRole("button", { name: "Comment: main.go, old line 2" }));
    expect(onLineAction).toHaveBeenLastCalledWith("main.go", 2, "old");
    await user.click(screen.getByRole("button", { name: "Comment: main.go, line 3" }));
    expect(onLineAction).toHaveBeenLastCalledWith("main.go", 3, "new");
    // A context line acts on its new number only.
    expect(screen.queryByRole("button", { name: "Comment: main.go, old line 1" })).not.toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Comment: main.go, line 1" })).toBeInTheDocument();
    expect(screen.getByText("comment on the old line")).toBeInTheDocument();

    // The same in split mode.
    await user.click(screen.getByRole("radio", { name: "Split" }));
    expect(screen.getByText("comment on the old line")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Comment: main.go, line 2" }));
    expect(onLineAction).toHaveBeenLastCalledWith("main.go", 2, "new");
  });

  it("has no line buttons without a line action", () => {
    renderDiff();
    expect(screen.queryByRole("button", { name: /line \d/ })).not.toBeInTheDocument();
  });

  it("follows a controlled mode", () => {
    const { container } = renderDiff({ mode: "split" });
    expect(container.querySelector("table[data-mode]")).toHaveAttribute("data-mode", "split");
  });
});
