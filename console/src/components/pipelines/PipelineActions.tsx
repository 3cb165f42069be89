import { Button, Group } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { IconPlayerStop, IconRefresh } from "@tabler/icons-react";
import { describeError } from "../../api/errors";
import { useClient } from "../../api/useClient";
import { PipelineService, type Pipeline } from "../../gen/hearth/v1/pipeline_pb";
import { isRetryable } from "./pipelineState";
import { pipelineActive, pipelineKey } from "./usePipelines";

interface Props {
  pipeline: Pipeline;
  // The project is archived (read-only).
  readOnly: boolean;
}

// PipelineActions cancels a running pipeline or runs its unsuccessful jobs
// again (RetryPipeline).
export function PipelineActions({ pipeline, readOnly }: Props) {
  const client = useClient(PipelineService);
  const queryClient = useQueryClient();
  const settle = (p: Pipeline | undefined) => {
    if (p) {
      queryClient.setQueryData(pipelineKey(p.id), p);
    }
    void queryClient.invalidateQueries({ queryKey: pipelineKey(pipeline.id) });
    void queryClient.invalidateQueries({ queryKey: ["pipelines"] });
  };
  const onError = (title: string) => (err: unknown) => {
    const human = describeError(err);
    notifications.show({ color: "red", title, message: human.detail ?? human.title });
  };
  const cancel = useMutation({
    mutationFn: () => client.cancelPipeline({ id: pipeline.id }),
    onSuccess: (res) => settle(res.pipeline),
    onError: onError("Could not cancel the pipeline"),
  });
  const retry = useMutation({
    mutationFn: () => client.retryPipeline({ id: pipeline.id }),
    onSuccess: (res) => {
      settle(res.pipeline);
      notifications.show({ color: "green", message: `Pipeline #${pipeline.number} runs its unsuccessful jobs again.` });
    },
    onError: onError("Could not run the pipeline again"),
  });
  if (readOnly) {
    return null;
  }
  const active = pipelineActive(pipeline);
  return (
    <Group gap="xs">
      {active && (
        <Button
          variant="default"
          color="red"
          leftSection={<IconPlayerStop size={16} aria-hidden />}
          loading={cancel.isPending}
          onClick={() => cancel.mutate()}
        >
          Cancel pipeline
        </Button>
      )}
      {!active && isRetryable(pipeline.state) && !pipeline.error && (
        <Button leftSection={<IconRefresh size={16} aria-hidden />} loading={retry.isPending} onClick={() => retry.mutate()}>
          Retry failed jobs
        </Button>
      )}
    </Group>
  );
}
