import { Button, Group, Modal, Stack, TextInput } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useClient } from "../../api/useClient";
import { ClusterService } from "../../gen/hearth/v1/cluster_pb";
import { ErrorAlert } from "../ErrorAlert";
import { parseLabels } from "./labels";
import { clustersKey } from "./useClusters";

const namePattern = /^[a-z][a-z0-9-]{1,62}$/;

// CreateClusterModal creates a cluster with a name and labels.
export function CreateClusterModal({ opened, onClose }: { opened: boolean; onClose(): void }) {
  const clusters = useClient(ClusterService);
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const [labelText, setLabelText] = useState("");
  const { labels, problem } = parseLabels(labelText);

  const create = useMutation({
    mutationFn: () => clusters.createCluster({ name: name.trim(), labels }),
    onSuccess: (res) => {
      void queryClient.invalidateQueries({ queryKey: clustersKey });
      notifications.show({ color: "green", message: `Created the cluster ${res.cluster?.name}.` });
      close();
    },
  });
  const close = () => {
    setName("");
    setLabelText("");
    create.reset();
    onClose();
  };
  const nameProblem = name.trim() && !namePattern.test(name.trim()) ? "2–63 lowercase letters, digits and '-', starting with a letter." : null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (name.trim() && !nameProblem && !problem) {
      create.mutate();
    }
  };
  return (
    <Modal opened={opened} onClose={close} title="New cluster">
      <form onSubmit={submit} noValidate>
        <Stack>
          {create.isError && <ErrorAlert error={create.error} title="Could not create the cluster" />}
          <TextInput label="Name" required data-autofocus value={name} error={nameProblem} onChange={(e) => setName(e.currentTarget.value)} />
          <TextInput
            label="Labels"
            description="key=value pairs separated by commas, e.g. region=eu,os=linux. Jobs are placed by them."
            value={labelText}
            error={problem}
            onChange={(e) => setLabelText(e.currentTarget.value)}
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button type="submit" loading={create.isPending} disabled={!name.trim() || !!nameProblem || !!problem}>
              Create cluster
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
