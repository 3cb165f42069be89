import { FileStatus, type FileDiff } from "../../gen/hearth/v1/repository_pb";

// DiffMode is how DiffView lays lines out.
export type DiffMode = "unified" | "split";

// DiffSide says which version of a file a line number counts in.
export type DiffSide = "old" | "new";

// diffFilePath names a file of a diff: its new path, or its old one when
// it was deleted. It is the `file` DiffView's line hooks receive.
export function diffFilePath(f: FileDiff): string {
  return f.newPath || f.oldPath;
}

export const fileStatusLabel: Record<FileStatus, string> = {
  [FileStatus.UNSPECIFIED]: "changed",
  [FileStatus.ADDED]: "added",
  [FileStatus.MODIFIED]: "modified",
  [FileStatus.DELETED]: "deleted",
  [FileStatus.RENAMED]: "renamed",
  [FileStatus.TYPE_CHANGED]: "type changed",
};

export const fileStatusColor: Record<FileStatus, string> = {
  [FileStatus.UNSPECIFIED]: "gray",
  [FileStatus.ADDED]: "green",
  [FileStatus.MODIFIED]: "blue",
  [FileStatus.DELETED]: "red",
  [FileStatus.RENAMED]: "violet",
  [FileStatus.TYPE_CHANGED]: "yellow",
};

// The background of a line by kind; Mantine's "light" colours follow the
// light/dark scheme.
export const lineBackground: Record<string, string | undefined> = {
  add: "var(--mantine-color-green-light)",
  del: "var(--mantine-color-red-light)",
  context: undefined,
  note: undefined,
};

export const lineSign: Record<string, string> = { add: "+", del: "-", context: " ", note: "" };
