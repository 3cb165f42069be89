import { useQuery } from "@tanstack/react-query";
import { useParams } from "react-router";
import { useClient } from "../../api/useClient";
import { ProjectService } from "../../gen/hearth/v1/project_pb";

// projectKey is the cache key of one project, by owner and name.
export function projectKey(owner: string, name: string) {
  return ["project", owner.toLowerCase(), name.toLowerCase()] as const;
}

// useProjectParams returns the owner and name of the project in the URL.
export function useProjectParams(): { owner: string; name: string } {
  const { owner = "", name = "" } = useParams();
  return { owner, name };
}

// useProject loads the project the URL names.
export function useProject() {
  const { owner, name } = useProjectParams();
  const projects = useClient(ProjectService);
  return useQuery({
    queryKey: projectKey(owner, name),
    queryFn: ({ signal }) => projects.getProject({ owner, name }, { signal }).then((res) => res.project),
  });
}
