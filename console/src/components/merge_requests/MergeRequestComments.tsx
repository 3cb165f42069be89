import { Skeleton, Stack, Text, Title } from "@mantine/core";
import { useMutation } from "@tanstack/react-query";
import { useClient } from "../../api/useClient";
import { MergeRequestService, type MergeRequestComment } from "../../gen/hearth/v1/merge_request_pb";
import type { Project } from "../../gen/hearth/v1/project_pb";
import { ErrorAlert } from "../ErrorAlert";
import { CommentForm } from "../issues/CommentForm";
import { writeErrorTitle } from "../issues/writeErrorTitle";
import { MergeRequestCommentCard } from "./MergeRequestCommentCard";

interface Props {
  project: Project;
  number: bigint;
  comments: MergeRequestComment[] | undefined;
  loading: boolean;
  error: unknown;
  headSha: string;
  me: string | undefined;
  onChanged(): Promise<unknown>;
  onRetry(): void;
}

// MergeRequestComments lists every comment, oldest first (line comments
// say where they are), and adds a general one.
export function MergeRequestComments({ project, number, comments, loading, error, headSha, me, onChanged, onRetry }: Props) {
  const { owner, name } = project;
  const mrs = useClient(MergeRequestService);
  const create = useMutation({
    mutationFn: (body: string) => mrs.createMergeRequestComment({ owner, name, number, body }),
    onSuccess: onChanged,
  });
  return (
    <Stack gap="sm" component="section" aria-labelledby="mr-comments">
      <Title order={3} size="h4" id="mr-comments">
        Comments
      </Title>
      {loading ? (
        <Stack aria-busy="true" aria-label="Loading comments">
          <Skeleton h={80} radius="md" />
        </Stack>
      ) : !comments ? (
        <ErrorAlert error={error} title="Could not load the comments" onRetry={onRetry} />
      ) : comments.length === 0 ? (
        <Text c="dimmed">No comments yet.</Text>
      ) : (
        comments.map((c) => (
          <MergeRequestCommentCard
            key={c.id}
            owner={owner}
            name={name}
            number={number}
            comment={c}
            me={me}
            showPosition
            headSha={headSha}
            onChanged={onChanged}
          />
        ))
      )}
      <CommentForm
        label="Add a comment"
        pending={create.isPending}
        error={create.isError && <ErrorAlert error={create.error} title={writeErrorTitle(create.error, project, "Could not add the comment")} />}
        onSubmit={(body) => create.mutateAsync(body)}
      />
    </Stack>
  );
}
