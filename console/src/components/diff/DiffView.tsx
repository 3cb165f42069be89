import { Alert, Group, SegmentedControl, Stack, Text } from "@mantine/core";
import { useLocalStorage } from "@mantine/hooks";
import type { ReactNode } from "react";
import type { Diff } from "../../gen/hearth/v1/repository_pb";
import { EmptyState } from "../EmptyState";
import { DiffFileCard } from "./DiffFileCard";
import { diffFilePath, type DiffMode, type DiffSide } from "./diffFile";
import type { LineHooks } from "./lineHooks";

export type { DiffMode, DiffSide } from "./diffFile";

// DiffViewProps: what DiffView takes. `file` in the hooks is the file's
// new path (its old path when deleted); `line` counts in the `side`
// version of the file. Each diff line has exactly one (line, side): a
// deleted line its old number, an added or unchanged line its new number,
// the same in unified and split mode.
export interface DiffViewProps {
  diff: Diff;
  // Controlled mode; without it DiffView keeps its own, remembered in
  // localStorage ("hearth.diffMode"), starting at defaultMode.
  mode?: DiffMode;
  defaultMode?: DiffMode;
  onModeChange?: (mode: DiffMode) => void;
  // Called when a line's number button is pressed (the numbers are
  // buttons only when this is given).
  onLineAction?: (file: string, line: number, side: DiffSide) => void;
  // Rendered in a row beneath the line when it returns something.
  renderLineExtras?: (file: string, line: number, side: DiffSide) => ReactNode;
  // The line buttons' accessible name: "<label>: <file>, line <n>".
  lineActionLabel?: string;
  // Shown above the files, beside the unified/split toggle.
  toolbar?: ReactNode;
}

// DiffView shows a diff file by file (each foldable, with its status and
// counts) in unified or side-by-side form, with hooks for line actions
// such as review comments.
export function DiffView({
  diff,
  mode,
  defaultMode = "unified",
  onModeChange,
  onLineAction,
  renderLineExtras,
  lineActionLabel = "Comment",
  toolbar,
}: DiffViewProps) {
  const [storedMode, setStoredMode] = useLocalStorage<DiffMode>({
    key: "hearth.diffMode",
    defaultValue: defaultMode,
    getInitialValueInEffect: false,
  });
  const current: DiffMode = mode ?? (storedMode === "split" ? "split" : "unified");
  const hooks: LineHooks = { onLineAction, renderLineExtras, lineActionLabel };
  const files = diff.files.length;

  return (
    <Stack gap="sm">
      <Group justify="space-between" wrap="wrap" gap="xs">
        <Text size="sm">
          {files === 1 ? "1 file changed" : `${files} files changed`},{" "}
          <Text span c="green" inherit fw={600}>
            {diff.additions} {diff.additions === 1 ? "addition" : "additions"}
          </Text>
          ,{" "}
          <Text span c="red" inherit fw={600}>
            {diff.deletions} {diff.deletions === 1 ? "deletion" : "deletions"}
          </Text>
        </Text>
        <Group gap="xs">
          {toolbar}
          <SegmentedControl
            size="xs"
            aria-label="Diff layout"
            value={current}
            onChange={(v) => {
              const next: DiffMode = v === "split" ? "split" : "unified";
              if (mode === undefined) {
                setStoredMode(next);
              }
              onModeChange?.(next);
            }}
            data={[
              { label: "Unified", value: "unified" },
              { label: "Split", value: "split" },
            ]}
          />
        </Group>
      </Group>
      {diff.truncated && (
        <Alert color="yellow" variant="light" title="This diff is large">
          Some files are not shown in full.
        </Alert>
      )}
      {files === 0 ? (
        <EmptyState title="No changes">The two versions have the same content.</EmptyState>
      ) : (
        diff.files.map((f, i) => <DiffFileCard key={`${diffFilePath(f)}:${i}`} file={f} mode={current} hooks={hooks} />)
      )}
    </Stack>
  );
}
