import { Code } from "@connectrpc/connect";
import { errorCode } from "../../api/errors";
import type { Project } from "../../gen/hearth/v1/project_pb";

// writeErrorTitle words a refused change: an archived project is
// read-only, which the generic "cannot be done in the current state" does
// not say.
export function writeErrorTitle(err: unknown, project: Project, fallback?: string): string | undefined {
  const code = errorCode(err);
  if (code === Code.FailedPrecondition && project.archived) {
    return "This project is archived: it is read-only.";
  }
  if (code === Code.Unauthenticated) {
    return undefined;
  }
  return fallback;
}
