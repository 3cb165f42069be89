import { Button, Group, Modal, Select, Stack } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import { useClient } from "../../api/useClient";
import { PipelineService } from "../../gen/hearth/v1/pipeline_pb";
import { RepositoryService } from "../../gen/hearth/v1/repository_pb";
import { projectPath } from "../../routes/paths";
import { ErrorAlert } from "../ErrorAlert";
import { pipelinesKey } from "./usePipelines";
import { variableProblem, VariablesEditor, type Variable } from "./VariablesEditor";

interface Props {
  owner: string;
  name: string;
  opened: boolean;
  onClose(): void;
}

// RunPipelineModal starts a manual pipeline for a branch at its current
// commit, with optional variables, then opens it.
export function RunPipelineModal({ owner, name, opened, onClose }: Props) {
  const repos = useClient(RepositoryService);
  const pipelines = useClient(PipelineService);
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [ref, setRef] = useState<string | null>(null);
  const [variables, setVariables] = useState<Variable[]>([]);

  const branches = useQuery({
    queryKey: ["branches", owner.toLowerCase(), name.toLowerCase()],
    queryFn: ({ signal }) => repos.listBranches({ owner, name }, { signal }),
    enabled: opened,
  });
  const chosen = ref ?? branches.data?.defaultBranch ?? null;

  const run = useMutation({
    mutationFn: () =>
      pipelines.runPipeline({
        owner,
        name,
        ref: chosen ?? "",
        variables: Object.fromEntries(variables.filter((v) => v.name.trim()).map((v) => [v.name.trim(), v.value])),
      }),
    onSuccess: (res) => {
      void queryClient.invalidateQueries({ queryKey: pipelinesKey(owner, name) });
      close();
      if (res.pipeline) {
        notifications.show({ color: "green", message: `Started pipeline #${res.pipeline.number}.` });
        void navigate(projectPath(owner, name, `pipelines/${res.pipeline.id}`));
      }
    },
  });

  const close = () => {
    setRef(null);
    setVariables([]);
    run.reset();
    onClose();
  };

  const invalid = variables.some((v) => variableProblem(v, variables) !== null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!invalid && chosen) {
      run.mutate();
    }
  };

  const data = (branches.data?.branches ?? []).map((b) => ({ value: b.name, label: b.isDefault ? `${b.name} (default)` : b.name }));

  return (
    <Modal opened={opened} onClose={close} title="Run pipeline" size="lg">
      <form onSubmit={submit} noValidate>
        <Stack>
          {run.isError && <ErrorAlert error={run.error} title="Could not start the pipeline" />}
          {branches.isError && <ErrorAlert error={branches.error} title="Could not load the branches" />}
          <Select
            label="Branch"
            description="The pipeline runs the .hearth.yml of the branch's newest commit."
            placeholder={branches.isPending ? "Loading branches…" : "Choose a branch"}
            data={data}
            value={chosen}
            onChange={setRef}
            searchable
            allowDeselect={false}
            nothingFoundMessage="No such branch"
            disabled={branches.isPending}
            data-autofocus
            comboboxProps={{ withinPortal: true }}
          />
          <VariablesEditor value={variables} onChange={setVariables} />
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button type="submit" loading={run.isPending} disabled={!chosen || invalid}>
              Run pipeline
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
