import { Button, Group, Stack, Title } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { IconPlayerPlay } from "@tabler/icons-react";
import { PipelineList } from "../../../components/pipelines/PipelineList";
import { RunPipelineModal } from "../../../components/pipelines/RunPipelineModal";
import { useProjectContext } from "../../../components/project/useProjectContext";

// PipelinesPage lists a project's pipelines and runs one by hand.
export function PipelinesPage() {
  const project = useProjectContext();
  const [running, { open, close }] = useDisclosure(false);
  const canRun = !project.archived;
  return (
    <Stack gap="md">
      <Group justify="space-between" wrap="wrap">
        <Title order={2} size="h3">
          Pipelines
        </Title>
        {canRun && (
          <Button leftSection={<IconPlayerPlay size={16} aria-hidden />} onClick={open}>
            Run pipeline
          </Button>
        )}
      </Group>
      <PipelineList owner={project.owner} name={project.name} onRun={canRun ? open : null} />
      {canRun && <RunPipelineModal owner={project.owner} name={project.name} opened={running} onClose={close} />}
    </Stack>
  );
}
