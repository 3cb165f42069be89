import { useOutletContext } from "react-router";
import type { Project } from "../../gen/hearth/v1/project_pb";

// useProjectContext returns the project a tab's page is rendered in
// (ProjectLayout has loaded it).
export function useProjectContext(): Project {
  return useOutletContext<Project>();
}
