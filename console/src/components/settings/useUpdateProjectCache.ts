import { useQueryClient } from "@tanstack/react-query";
import { useCallback } from "react";
import type { Project } from "../../gen/hearth/v1/project_pb";
import { projectKey } from "../project/useProject";
import { projectsKey } from "../projects/useProjects";

// useUpdateProjectCache stores a project the server returned, so the page
// frame and every tab show it at once, and marks the project list stale.
export function useUpdateProjectCache() {
  const queryClient = useQueryClient();
  return useCallback(
    (project: Project | undefined) => {
      if (project) {
        queryClient.setQueryData(projectKey(project.owner, project.name), project);
      }
      void queryClient.invalidateQueries({ queryKey: projectsKey });
    },
    [queryClient],
  );
}
