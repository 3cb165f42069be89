import { useInfiniteQuery } from "@tanstack/react-query";
import { useClient } from "../../api/useClient";
import { ProjectService } from "../../gen/hearth/v1/project_pb";

export const membersPageSize = 50;

export function membersKey(owner: string, name: string) {
  return ["project-members", owner.toLowerCase(), name.toLowerCase()] as const;
}

// useMembers pages through a project's direct members.
export function useMembers(owner: string, name: string) {
  const projects = useClient(ProjectService);
  return useInfiniteQuery({
    queryKey: membersKey(owner, name),
    queryFn: ({ pageParam, signal }) =>
      projects.listProjectMembers({ owner, name, pageSize: membersPageSize, pageToken: pageParam }, { signal }),
    initialPageParam: "",
    getNextPageParam: (last) => last.nextPageToken || undefined,
  });
}
