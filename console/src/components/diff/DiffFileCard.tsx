import { Paper, Text } from "@mantine/core";
import { useId, useMemo, useState } from "react";
import type { FileDiff } from "../../gen/hearth/v1/repository_pb";
import { DiffFileHeader } from "./DiffFileHeader";
import { SplitTable } from "./SplitTable";
import { UnifiedTable } from "./UnifiedTable";
import { diffFilePath, type DiffMode } from "./diffFile";
import type { LineHooks } from "./lineHooks";
import { parsePatch } from "./parsePatch";

interface Props {
  file: FileDiff;
  mode: DiffMode;
  hooks: LineHooks;
}

function Notice({ children }: { children: string }) {
  return (
    <Text size="sm" c="dimmed" px="sm" py="xs">
      {children}
    </Text>
  );
}

// DiffFileCard is one file of a diff: a header that folds it, then its
// lines (or why there are none to show).
export function DiffFileCard({ file, mode, hooks }: Props) {
  const [open, setOpen] = useState(true);
  const bodyId = useId();
  const hunks = useMemo(() => parsePatch(file.patch), [file.patch]);
  const path = diffFilePath(file);
  const modeChanged = file.oldMode && file.newMode && file.oldMode !== file.newMode;
  return (
    <Paper withBorder radius="md" style={{ overflow: "hidden" }} data-file={path}>
      <DiffFileHeader file={file} open={open} onToggle={() => setOpen((o) => !o)} bodyId={bodyId} />
      {open && (
        <div id={bodyId}>
          {file.isBinary ? (
            <Notice>Binary file not shown.</Notice>
          ) : (
            <>
              {hunks.length > 0 && (
                <div style={{ overflowX: "auto" }}>
                  {mode === "split" ? (
                    <SplitTable file={path} hunks={hunks} hooks={hooks} />
                  ) : (
                    <UnifiedTable file={path} hunks={hunks} hooks={hooks} />
                  )}
                </div>
              )}
              {file.patchTruncated && <Notice>This file's diff is too large to show in full.</Notice>}
              {hunks.length === 0 && !file.patchTruncated && (
                <Notice>{modeChanged ? `File mode changed from ${file.oldMode} to ${file.newMode}.` : "No content changes."}</Notice>
              )}
            </>
          )}
        </div>
      )}
    </Paper>
  );
}
