import { useQuery } from "@tanstack/react-query";
import { useClient } from "../../api/useClient";
import { RepositoryService } from "../../gen/hearth/v1/repository_pb";

// useBranchNames lists the names of a repository's branches.
export function useBranchNames(owner: string, name: string) {
  const repos = useClient(RepositoryService);
  return useQuery({
    queryKey: ["settings", "branches", owner.toLowerCase(), name.toLowerCase()],
    queryFn: ({ signal }) => repos.listBranches({ owner, name }, { signal }).then((r) => r.branches.map((b) => b.name)),
  });
}
