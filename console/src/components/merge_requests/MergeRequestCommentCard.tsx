import { Code, Text } from "@mantine/core";
import { useClient } from "../../api/useClient";
import { MergeRequestService, type MergeRequestComment } from "../../gen/hearth/v1/merge_request_pb";
import { CommentCard } from "../issues/CommentCard";
import { fromApiSide } from "./diffSide";

interface Props {
  owner: string;
  name: string;
  number: bigint;
  comment: MergeRequestComment;
  me: string | undefined;
  // Say where a line comment is (in the general list, not in the diff).
  showPosition?: boolean;
  // The head commit the diff shows: line comments on others are outdated.
  headSha?: string;
  onChanged(): Promise<unknown>;
}

// MergeRequestCommentCard is one comment of a merge request.
export function MergeRequestCommentCard({ owner, name, number, comment, me, showPosition, headSha, onChanged }: Props) {
  const mrs = useClient(MergeRequestService);
  const pos = comment.position;
  return (
    <CommentCard
      comment={comment}
      mine={comment.author === me}
      context={
        showPosition && pos ? (
          <Text size="xs" c="dimmed">
            On <Code>{pos.path}</Code> {fromApiSide(pos.side) === "old" ? "old " : ""}line {pos.line} at{" "}
            <Code>{pos.commitSha.slice(0, 12)}</Code>
            {headSha && pos.commitSha !== headSha && " (outdated)"}
          </Text>
        ) : undefined
      }
      onSave={(body) => mrs.updateMergeRequestComment({ owner, name, number, commentId: comment.id, body }).then(onChanged)}
      onDelete={() => mrs.deleteMergeRequestComment({ owner, name, number, commentId: comment.id }).then(onChanged)}
    />
  );
}
