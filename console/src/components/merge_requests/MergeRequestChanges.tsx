import { create } from "@bufbuild/protobuf";
import { Box, Skeleton, Stack, Text } from "@mantine/core";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useClient } from "../../api/useClient";
import { MergeRequestService, type MergeRequestComment } from "../../gen/hearth/v1/merge_request_pb";
import { DiffSchema } from "../../gen/hearth/v1/repository_pb";
import { DiffView, type DiffSide } from "../diff/DiffView";
import { ErrorAlert } from "../ErrorAlert";
import { CommentForm } from "../issues/CommentForm";
import { MergeRequestCommentCard } from "./MergeRequestCommentCard";
import { fromApiSide, toApiSide } from "./diffSide";
import { mergeRequestChangesKey } from "./mrKeys";

interface Props {
  owner: string;
  name: string;
  number: bigint;
  comments: MergeRequestComment[];
  me: string | undefined;
  onCommentsChanged(): Promise<unknown>;
}

interface Anchor {
  file: string;
  line: number;
  side: DiffSide;
}

// MergeRequestChanges shows what the source adds to the target (split or
// unified), its line comments under their lines, and comments on a line
// whose number is pressed, anchored to the head commit shown.
export function MergeRequestChanges({ owner, name, number, comments, me, onCommentsChanged }: Props) {
  const mrs = useClient(MergeRequestService);
  const [anchor, setAnchor] = useState<Anchor | null>(null);
  const changes = useQuery({
    queryKey: mergeRequestChangesKey(owner, name, number),
    queryFn: ({ signal }) => mrs.getMergeRequestChanges({ owner, name, number }, { signal }),
  });
  const head = changes.data?.sourceCommitSha ?? "";
  const post = useMutation({
    mutationFn: (input: { body: string; at: Anchor }) =>
      mrs.createMergeRequestComment({
        owner,
        name,
        number,
        body: input.body,
        position: { commitSha: head, path: input.at.file, line: input.at.line, side: toApiSide(input.at.side) },
      }),
    onSuccess: async () => {
      setAnchor(null);
      await onCommentsChanged();
    },
  });

  if (changes.isPending) {
    return (
      <Stack aria-busy="true" aria-label="Loading the changes">
        <Skeleton h={24} w={280} />
        <Skeleton h={240} radius="md" />
      </Stack>
    );
  }
  if (!changes.data) {
    return <ErrorAlert error={changes.error} title="Could not load the changes" onRetry={() => void changes.refetch()} />;
  }
  const data = changes.data;
  const lineComments = comments.filter((c) => c.position && c.position.commitSha === head);
  const at = (file: string, line: number, side: DiffSide) =>
    lineComments.filter((c) => c.position!.path === file && c.position!.line === line && fromApiSide(c.position!.side) === side);

  return (
    <Stack gap="sm">
      <Text size="sm" c="dimmed">
        {data.totalCommits === 1 ? "1 commit" : `${data.totalCommits} commits`}
        {data.commits[0] && ` · newest: ${data.commits[0].title}`} · head <code>{head.slice(0, 12)}</code>
      </Text>
      <DiffView
        diff={data.diff ?? create(DiffSchema)}
        onLineAction={(file, line, side) => {
          post.reset();
          setAnchor({ file, line, side });
        }}
        lineActionLabel="Comment on"
        renderLineExtras={(file, line, side) => {
          const here = at(file, line, side);
          const open = anchor && anchor.file === file && anchor.line === line && anchor.side === side;
          if (here.length === 0 && !open) {
            return null;
          }
          return (
            <Box p="xs" style={{ whiteSpace: "normal", fontFamily: "var(--mantine-font-family)" }}>
              <Stack gap="xs">
                {here.map((c) => (
                  <MergeRequestCommentCard
                    key={c.id}
                    owner={owner}
                    name={name}
                    number={number}
                    comment={c}
                    me={me}
                    onChanged={onCommentsChanged}
                  />
                ))}
                {open && (
                  <CommentForm
                    label={`Comment on ${file} ${side === "old" ? "old " : ""}line ${line}`}
                    submitLabel="Add line comment"
                    autoFocus
                    pending={post.isPending}
                    error={post.isError && <ErrorAlert error={post.error} title="Could not add the comment" />}
                    onSubmit={(body) => post.mutateAsync({ body, at: anchor })}
                    onCancel={() => setAnchor(null)}
                  />
                )}
              </Stack>
            </Box>
          );
        }}
      />
    </Stack>
  );
}
