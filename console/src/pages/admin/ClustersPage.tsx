import { Button, Group, Stack, Text } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { IconPlus } from "@tabler/icons-react";
import { ClusterList } from "../../components/admin/ClusterList";
import { CreateClusterModal } from "../../components/admin/CreateClusterModal";

// ClustersPage: clusters, their agents and join tokens.
export function ClustersPage() {
  const [creating, { open, close }] = useDisclosure(false);
  return (
    <Stack>
      <Group justify="space-between" wrap="wrap" gap="sm">
        <Text c="dimmed" maw={640}>
          Node agents run pipeline jobs. Each belongs to a cluster and joins it once with a join token.
        </Text>
        <Button leftSection={<IconPlus size={16} aria-hidden />} onClick={open}>
          New cluster
        </Button>
      </Group>
      <ClusterList onCreate={open} />
      <CreateClusterModal opened={creating} onClose={close} />
    </Stack>
  );
}
