import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { useClient } from "../../api/useClient";
import { UserService } from "../../gen/hearth/v1/user_pb";

export const usersKey = ["admin", "users"] as const;
const pageSize = 50;

// useUsers pages through accounts whose username, email or display name
// contains query.
export function useUsers(query: string) {
  const users = useClient(UserService);
  return useInfiniteQuery({
    queryKey: [...usersKey, { query }],
    queryFn: ({ pageParam, signal }) => users.listUsers({ query, pageSize, pageToken: pageParam }, { signal }),
    initialPageParam: "",
    getNextPageParam: (last) => last.nextPageToken || undefined,
  });
}

// useUserNames maps user ids to usernames (the first 500 accounts), to
// show bindings and audit events by name. Empty when it cannot be read.
export function useUserNames() {
  const users = useClient(UserService);
  return useQuery({
    queryKey: [...usersKey, "names"],
    queryFn: async ({ signal }) => {
      const res = await users.listUsers({ pageSize: 500 }, { signal });
      return new Map(res.users.map((u) => [u.id, u.username]));
    },
  });
}
