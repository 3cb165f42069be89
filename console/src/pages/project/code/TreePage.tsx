import { Navigate } from "react-router";
import { TreeBrowser } from "./TreeBrowser";
import { useCodeLocation } from "./useCodeLocation";

// TreePage is "-/tree/:ref/*": a directory at a ref.
export function TreePage() {
  const { project, ref, path, canonical } = useCodeLocation("tree");
  if (canonical) {
    return <Navigate to={canonical} replace />;
  }
  return <TreeBrowser project={project} refName={ref} path={path} />;
}
