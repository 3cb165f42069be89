import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Alert, Button, Group, Modal, NativeSelect, Stack, Text, TextInput } from "@mantine/core";
import { IconAlertTriangle } from "@tabler/icons-react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useClient } from "../../api/useClient";
import { ClusterService, type Cluster } from "../../gen/hearth/v1/cluster_pb";
import { ErrorAlert } from "../ErrorAlert";
import { SecretValue } from "../tokens/SecretValue";
import { agentCommand } from "./agentCommand";
import { joinTokensKey } from "./useClusters";

const expiries = [
  { value: "1", label: "1 hour" },
  { value: "24", label: "24 hours" },
  { value: "168", label: "7 days" },
  { value: "720", label: "30 days" },
];
const uses = [
  { value: "1", label: "Single use (one agent)" },
  { value: "10", label: "Up to 10 agents" },
  { value: "0", label: "Unlimited until it expires" },
];

interface Props {
  cluster: Cluster;
  opened: boolean;
  onClose(): void;
}

// CreateJoinTokenModal creates a join token for a cluster, then shows it
// once with the exact hearth-agent command that registers a machine.
export function CreateJoinTokenModal({ cluster, opened, onClose }: Props) {
  const clusters = useClient(ClusterService);
  const queryClient = useQueryClient();
  const [description, setDescription] = useState("");
  const [hours, setHours] = useState("24");
  const [maxUses, setMaxUses] = useState("1");
  const [server, setServer] = useState(() => window.location.origin);

  const create = useMutation({
    mutationFn: () =>
      clusters.createJoinToken({
        clusterId: cluster.id,
        description: description.trim(),
        expireTime: timestampFromDate(new Date(Date.now() + Number(hours) * 3600_000)),
        maxUses: Number(maxUses),
      }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: joinTokensKey(cluster.id) }),
  });
  const close = () => {
    setDescription("");
    setHours("24");
    setMaxUses("1");
    create.reset();
    onClose();
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  const secret = create.data?.token;

  return (
    <Modal
      opened={opened}
      onClose={close}
      title={secret ? `Join token for ${cluster.name}` : `New join token for ${cluster.name}`}
      size="xl"
      closeOnClickOutside={!secret}
    >
      {secret ? (
        <Stack>
          <Alert color="yellow" variant="light" icon={<IconAlertTriangle aria-hidden />} title="Copy it now">
            This is the only time the join token is shown; Hearth keeps only a hash. Anyone holding it can register
            an agent into this cluster until it expires or is used up.
          </Alert>
          <SecretValue value={secret} label="Join token" copyLabel="Copy join token" />
          <Text size="sm">On the machine that should run jobs, run:</Text>
          <SecretValue value={agentCommand(server.trim(), secret)} label="Agent command" copyLabel="Copy command" block />
          <TextInput
            label="Server URL in the command"
            description="This server's address as the machine reaches it (https:// outside a trusted network)."
            value={server}
            onChange={(e) => setServer(e.currentTarget.value)}
          />
          <Text size="xs" c="dimmed">
            The token goes in the environment rather than <code>--join-token</code>, which other users of the machine
            could read in the process list. It is only needed for the first start: the agent keeps its identity in
            the data directory.
          </Text>
          <Group justify="flex-end">
            <Button onClick={close}>Done</Button>
          </Group>
        </Stack>
      ) : (
        <form onSubmit={submit} noValidate>
          <Stack>
            {create.isError && <ErrorAlert error={create.error} title="Could not create the join token" />}
            <TextInput
              label="Description"
              description="Optional: which machine it is for."
              maxLength={200}
              data-autofocus
              value={description}
              onChange={(e) => setDescription(e.currentTarget.value)}
            />
            <NativeSelect label="Expires in" data={expiries} value={hours} onChange={(e) => setHours(e.currentTarget.value)} />
            <NativeSelect label="Uses" data={uses} value={maxUses} onChange={(e) => setMaxUses(e.currentTarget.value)} />
            <Group justify="flex-end">
              <Button variant="default" onClick={close}>
                Cancel
              </Button>
              <Button type="submit" loading={create.isPending}>
                Create join token
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Modal>
  );
}
