import { useParams } from "react-router";
import { useBranches, useTags } from "../../../components/code/useRepository";
import { codePath, resolveRefPath, type CodeView } from "../../../components/code/codePaths";
import { useProjectContext } from "../../../components/project/useProjectContext";

// useCodeLocation reads the ref and path of a tree, blob or commits URL
// (react-router has decoded them: "feature%2Fx" is "feature/x"), and
// `canonical`: where to go instead when the ref segment was a hand-typed,
// unencoded prefix of a longer branch or tag name (see codePaths.ts).
export function useCodeLocation(view: CodeView) {
  const project = useProjectContext();
  const params = useParams();
  const ref = params.ref ?? "";
  const path = (params["*"] ?? "").replace(/^\/+|\/+$/g, "");
  const branches = useBranches(project.owner, project.name);
  const tags = useTags(project.owner, project.name);
  let canonical: string | null = null;
  if (path && branches.data && tags.data) {
    const names = [...branches.data.branches.map((b) => b.name), ...tags.data.tags.map((t) => t.name)];
    const resolved = resolveRefPath(ref, path, names);
    if (resolved) {
      canonical = codePath(view, project.owner, project.name, resolved.ref, resolved.path);
    }
  }
  return { project, ref, path, canonical };
}
