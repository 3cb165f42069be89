import { Button, Center, Skeleton, Stack, Text, Title } from "@mantine/core";
import { useInfiniteQuery, useMutation, useQueryClient } from "@tanstack/react-query";
import { useClient } from "../../api/useClient";
import { useSession } from "../../auth/useSession";
import { IssueService } from "../../gen/hearth/v1/issue_pb";
import type { Project } from "../../gen/hearth/v1/project_pb";
import { ErrorAlert } from "../ErrorAlert";
import { CommentCard } from "./CommentCard";
import { CommentForm } from "./CommentForm";
import { issueCommentsKey } from "./issueKeys";
import { writeErrorTitle } from "./writeErrorTitle";

const pageSize = 50;

// IssueComments lists an issue's comments, oldest first a page at a time,
// and adds one.
export function IssueComments({ project, number }: { project: Project; number: bigint }) {
  const { owner, name } = project;
  const issues = useClient(IssueService);
  const session = useSession();
  const queryClient = useQueryClient();
  const key = issueCommentsKey(owner, name, number);
  const query = useInfiniteQuery({
    queryKey: key,
    queryFn: ({ pageParam, signal }) => issues.listComments({ owner, name, number, pageSize, pageToken: pageParam }, { signal }),
    initialPageParam: "",
    getNextPageParam: (last) => last.nextPageToken || undefined,
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: key });
  const create = useMutation({
    mutationFn: (body: string) => issues.createComment({ owner, name, number, body }),
    onSuccess: refresh,
  });
  const me = session.user?.username;

  return (
    <Stack gap="sm" component="section" aria-labelledby="issue-comments">
      <Title order={2} size="h4" id="issue-comments">
        Comments
      </Title>
      {query.isPending ? (
        <Stack aria-busy="true" aria-label="Loading comments">
          <Skeleton h={80} radius="md" />
          <Skeleton h={80} radius="md" />
        </Stack>
      ) : !query.data ? (
        <ErrorAlert error={query.error} title="Could not load the comments" onRetry={() => void query.refetch()} />
      ) : (
        <>
          {query.data.pages.every((p) => p.comments.length === 0) && <Text c="dimmed">No comments yet.</Text>}
          {query.data.pages
            .flatMap((p) => p.comments)
            .map((c) => (
              <CommentCard
                key={c.id}
                comment={c}
                mine={c.author === me}
                onSave={(body) => issues.updateComment({ owner, name, number, commentId: c.id, body }).then(refresh)}
                onDelete={() => issues.deleteComment({ owner, name, number, commentId: c.id }).then(refresh)}
              />
            ))}
          {query.isFetchNextPageError && <ErrorAlert error={query.error} title="Could not load more comments" />}
          {query.hasNextPage && (
            <Center>
              <Button variant="default" loading={query.isFetchingNextPage} onClick={() => void query.fetchNextPage()}>
                Load more comments
              </Button>
            </Center>
          )}
        </>
      )}
      <CommentForm
        label="Add a comment"
        pending={create.isPending}
        error={
          create.isError && (
            <ErrorAlert error={create.error} title={writeErrorTitle(create.error, project, "Could not add the comment")} />
          )
        }
        onSubmit={(body) => create.mutateAsync(body)}
      />
    </Stack>
  );
}
