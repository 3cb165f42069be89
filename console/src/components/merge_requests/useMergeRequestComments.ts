import { useQuery } from "@tanstack/react-query";
import { useClient } from "../../api/useClient";
import { MergeRequestService, type MergeRequestComment } from "../../gen/hearth/v1/merge_request_pb";
import { mergeRequestCommentsKey } from "./mrKeys";

const maxPages = 20;

// useMergeRequestComments loads every comment of a merge request (line
// comments are shown in the diff, so all of them are needed), following
// page tokens up to 2,000 comments.
export function useMergeRequestComments(owner: string, name: string, number: bigint) {
  const mrs = useClient(MergeRequestService);
  return useQuery({
    queryKey: mergeRequestCommentsKey(owner, name, number),
    queryFn: async ({ signal }) => {
      const all: MergeRequestComment[] = [];
      let pageToken = "";
      for (let i = 0; i < maxPages; i++) {
        const res = await mrs.listMergeRequestComments({ owner, name, number, pageSize: 100, pageToken }, { signal });
        all.push(...res.comments);
        pageToken = res.nextPageToken;
        if (!pageToken) {
          break;
        }
      }
      return all;
    },
  });
}
