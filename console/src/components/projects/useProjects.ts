import { useInfiniteQuery } from "@tanstack/react-query";
import { useClient } from "../../api/useClient";
import { ProjectService } from "../../gen/hearth/v1/project_pb";

export const projectsKey = ["projects"] as const;
const pageSize = 50;

// useProjects lists the projects the user may see whose "owner/name" or
// description contains search, a page at a time.
export function useProjects(search: string) {
  const projects = useClient(ProjectService);
  return useInfiniteQuery({
    queryKey: [...projectsKey, { search }],
    queryFn: ({ pageParam, signal }) =>
      projects.listProjects({ search, pageSize, pageToken: pageParam }, { signal }),
    initialPageParam: "",
    getNextPageParam: (last) => last.nextPageToken || undefined,
  });
}
