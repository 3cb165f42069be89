import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { useClient } from "../../api/useClient";
import { RepositoryService } from "../../gen/hearth/v1/repository_pb";

// Queries of a project's repository (RepositoryService), cached by project
// and by ref and path.
function repoKey(owner: string, name: string) {
  return ["repository", owner.toLowerCase(), name.toLowerCase()] as const;
}

export function useBranches(owner: string, name: string) {
  const repo = useClient(RepositoryService);
  return useQuery({
    queryKey: [...repoKey(owner, name), "branches"],
    queryFn: ({ signal }) => repo.listBranches({ owner, name }, { signal }),
  });
}

export function useTags(owner: string, name: string) {
  const repo = useClient(RepositoryService);
  return useQuery({
    queryKey: [...repoKey(owner, name), "tags"],
    queryFn: ({ signal }) => repo.listTags({ owner, name }, { signal }),
  });
}

export function useTree(owner: string, name: string, ref: string, path: string, enabled = true) {
  const repo = useClient(RepositoryService);
  return useQuery({
    queryKey: [...repoKey(owner, name), "tree", ref, path],
    queryFn: ({ signal }) => repo.getTree({ owner, name, ref, path }, { signal }),
    enabled,
  });
}

export function useBlob(owner: string, name: string, ref: string, path: string, enabled = true) {
  const repo = useClient(RepositoryService);
  return useQuery({
    queryKey: [...repoKey(owner, name), "blob", ref, path],
    queryFn: ({ signal }) => repo.getBlob({ owner, name, ref, path }, { signal }),
    enabled,
  });
}

export const commitsPageSize = 30;

export function useCommits(owner: string, name: string, ref: string) {
  const repo = useClient(RepositoryService);
  return useInfiniteQuery({
    queryKey: [...repoKey(owner, name), "commits", ref],
    queryFn: ({ pageParam, signal }) =>
      repo.listCommits({ owner, name, ref, pageSize: commitsPageSize, pageToken: pageParam }, { signal }),
    initialPageParam: "",
    getNextPageParam: (last) => last.nextPageToken || undefined,
  });
}

export function useCommit(owner: string, name: string, sha: string) {
  const repo = useClient(RepositoryService);
  return useQuery({
    queryKey: [...repoKey(owner, name), "commit", sha],
    queryFn: ({ signal }) => repo.getCommit({ owner, name, sha }, { signal }),
  });
}
