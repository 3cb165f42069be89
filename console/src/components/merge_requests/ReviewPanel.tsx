import { Badge, Button, Group, Stack, Text, Textarea } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { useClient } from "../../api/useClient";
import { MergeRequestService, ReviewVerdict, type MergeRequest } from "../../gen/hearth/v1/merge_request_pb";
import { ErrorAlert } from "../ErrorAlert";

interface Props {
  owner: string;
  name: string;
  mr: MergeRequest;
  // The signed-in user's username.
  me: string | undefined;
  canReview: boolean;
  onChanged(): void;
}

// ReviewPanel shows the approvals of the head commit and lets a reviewer
// approve or request changes on the head they see (its sha is sent: the
// review is refused if the branch moved meanwhile).
export function ReviewPanel({ owner, name, mr, me, canReview, onChanged }: Props) {
  const mrs = useClient(MergeRequestService);
  const [body, setBody] = useState("");
  const review = useMutation({
    mutationFn: (verdict: ReviewVerdict) =>
      mrs.createMergeRequestReview({ owner, name, number: mr.number, verdict, body, commitSha: mr.headCommitSha }),
    onSuccess: (_res, verdict) => {
      setBody("");
      notifications.show({ color: "green", message: verdict === ReviewVerdict.APPROVE ? "Approved." : "Changes requested." });
      onChanged();
    },
  });
  const approved = mr.approvedBy.length;
  const mine = me !== undefined && mr.author === me;
  return (
    <Stack gap="xs" component="section" aria-label="Approvals">
      <Group gap="xs" wrap="wrap">
        <Text size="sm" fw={600}>
          Approvals
        </Text>
        <Text size="sm" c={mr.requiredApprovals > 0 && approved < mr.requiredApprovals ? "orange" : undefined}>
          {mr.requiredApprovals > 0 ? `${approved} of ${mr.requiredApprovals} required` : `${approved}`}
        </Text>
        {mr.approvedBy.map((u) => (
          <Badge key={u} color="green" variant="light" style={{ textTransform: "none" }}>
            {u}
          </Badge>
        ))}
      </Group>
      {mr.reviewers.length > 0 && (
        <Text size="xs" c="dimmed">
          Review requested from {mr.reviewers.join(", ")}
        </Text>
      )}
      {canReview && !mine && (
        <Stack gap="xs">
          {review.isError && <ErrorAlert error={review.error} title="The review was not recorded" />}
          <Textarea
            aria-label="Review comment"
            placeholder="Optional review comment (markdown)"
            autosize
            minRows={1}
            maxRows={8}
            value={body}
            onChange={(e) => setBody(e.currentTarget.value)}
          />
          <Group gap="xs">
            <Button
              color="green"
              size="sm"
              loading={review.isPending && review.variables === ReviewVerdict.APPROVE}
              disabled={review.isPending}
              onClick={() => review.mutate(ReviewVerdict.APPROVE)}
            >
              Approve
            </Button>
            <Button
              color="orange"
              variant="light"
              size="sm"
              loading={review.isPending && review.variables === ReviewVerdict.REQUEST_CHANGES}
              disabled={review.isPending}
              onClick={() => review.mutate(ReviewVerdict.REQUEST_CHANGES)}
            >
              Request changes
            </Button>
          </Group>
          <Text size="xs" c="dimmed">
            Reviews the head commit <code>{mr.headCommitSha.slice(0, 12)}</code>.
          </Text>
        </Stack>
      )}
    </Stack>
  );
}
