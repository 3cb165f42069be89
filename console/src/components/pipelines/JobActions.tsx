import { Button, Group } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { IconPlayerStop, IconRefresh } from "@tabler/icons-react";
import { useNavigate } from "react-router";
import { describeError } from "../../api/errors";
import { useClient } from "../../api/useClient";
import { PipelineService, type Job } from "../../gen/hearth/v1/pipeline_pb";
import { isActive, isFinished } from "./pipelineState";
import { jobKey, pipelineKey } from "./usePipelines";

interface Props {
  job: Job;
  // The job page's URL (a retry opens the new attempt).
  jobPath(id: string): string;
  readOnly: boolean;
  // A newer attempt exists: retry that one instead.
  superseded: boolean;
}

// JobActions cancels a running job or runs a finished one again
// (RetryJob), then opens the new attempt.
export function JobActions({ job, jobPath, readOnly, superseded }: Props) {
  const client = useClient(PipelineService);
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const onError = (title: string) => (err: unknown) => {
    const human = describeError(err);
    notifications.show({ color: "red", title, message: human.detail ?? human.title });
  };
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: pipelineKey(job.pipelineId) });
    void queryClient.invalidateQueries({ queryKey: ["pipelines"] });
  };
  const cancel = useMutation({
    mutationFn: () => client.cancelJob({ id: job.id }),
    onSuccess: (res) => {
      if (res.job) {
        queryClient.setQueryData(jobKey(job.id), res.job);
      }
      void queryClient.invalidateQueries({ queryKey: jobKey(job.id) });
      refresh();
    },
    onError: onError("Could not cancel the job"),
  });
  const retry = useMutation({
    mutationFn: () => client.retryJob({ id: job.id }),
    onSuccess: (res) => {
      refresh();
      if (res.job) {
        queryClient.setQueryData(jobKey(res.job.id), res.job);
        notifications.show({ color: "green", message: `${job.name} runs again (attempt ${res.job.attempt}).` });
        void navigate(jobPath(res.job.id));
      }
    },
    onError: onError("Could not run the job again"),
  });
  if (readOnly) {
    return null;
  }
  return (
    <Group gap="xs">
      {isActive(job.state) && (
        <Button
          variant="default"
          color="red"
          leftSection={<IconPlayerStop size={16} aria-hidden />}
          loading={cancel.isPending}
          onClick={() => cancel.mutate()}
        >
          Cancel job
        </Button>
      )}
      {isFinished(job.state) && !superseded && (
        <Button leftSection={<IconRefresh size={16} aria-hidden />} loading={retry.isPending} onClick={() => retry.mutate()}>
          Retry job
        </Button>
      )}
    </Group>
  );
}
