import { Button, Checkbox, Select, Stack, Text, Textarea } from "@mantine/core";
import { Code } from "@connectrpc/connect";
import { notifications } from "@mantine/notifications";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { errorCode } from "../../api/errors";
import { useClient } from "../../api/useClient";
import { MergeMethod, MergeRequestService, type MergeRequest } from "../../gen/hearth/v1/merge_request_pb";
import { ErrorAlert } from "../ErrorAlert";

const methods = [
  { value: String(MergeMethod.MERGE), label: "Merge commit" },
  { value: String(MergeMethod.SQUASH), label: "Squash and merge" },
  { value: String(MergeMethod.FAST_FORWARD), label: "Fast-forward" },
];

function defaultMessage(mr: MergeRequest): string {
  return `${mr.title} (!${mr.number})`;
}

interface Props {
  owner: string;
  name: string;
  mr: MergeRequest;
  onMerged(): void;
}

// MergePanel merges the merge request with the method chosen, naming the
// head commit the user sees (refused if the branch moved), and shows the
// server's reason when the merge is refused.
export function MergePanel({ owner, name, mr, onMerged }: Props) {
  const mrs = useClient(MergeRequestService);
  const [method, setMethod] = useState<MergeMethod>(MergeMethod.MERGE);
  const [message, setMessage] = useState(defaultMessage(mr));
  const [deleteSource, setDeleteSource] = useState(false);
  const merge = useMutation({
    mutationFn: () =>
      mrs.mergeMergeRequest({
        owner,
        name,
        number: mr.number,
        method,
        commitMessage: method === MergeMethod.SQUASH ? message.trim() : "",
        deleteSourceBranch: deleteSource,
        commitSha: mr.headCommitSha,
      }),
    onSuccess: (res) => {
      notifications.show({ color: "green", message: `Merged !${mr.number} into ${mr.targetBranch}.` });
      if (deleteSource && !res.sourceBranchDeleted && res.sourceBranchKeptReason) {
        notifications.show({ color: "yellow", message: `The branch ${mr.sourceBranch} was kept: ${res.sourceBranchKeptReason}` });
      }
      onMerged();
    },
  });
  const blocked = mr.mergeBlockers.length > 0;
  const refused = merge.isError && errorCode(merge.error) === Code.FailedPrecondition;
  return (
    <Stack gap="xs" component="section" aria-label="Merge">
      {merge.isError && (
        <ErrorAlert error={merge.error} title={refused ? "The merge was refused" : "Could not merge"} />
      )}
      <Select
        label="Merge method"
        data={methods}
        value={String(method)}
        allowDeselect={false}
        onChange={(v) => setMethod(Number(v) as MergeMethod)}
        maw={320}
      />
      {method === MergeMethod.SQUASH && (
        <Textarea
          label="Squash commit message"
          autosize
          minRows={2}
          maxRows={10}
          value={message}
          onChange={(e) => setMessage(e.currentTarget.value)}
        />
      )}
      {method === MergeMethod.FAST_FORWARD && !mr.mergeStatus?.canFastForward && (
        <Text size="sm" c="orange">
          The target has commits the source lacks: a fast-forward will be refused.
        </Text>
      )}
      <Checkbox
        label={`Delete the source branch ${mr.sourceBranch} once merged`}
        checked={deleteSource}
        onChange={(e) => setDeleteSource(e.currentTarget.checked)}
      />
      <Button
        color="violet"
        loading={merge.isPending}
        onClick={() => merge.mutate()}
        style={{ alignSelf: "flex-start" }}
        title={blocked ? "Hearth will refuse while something blocks the merge" : undefined}
      >
        Merge
      </Button>
    </Stack>
  );
}
