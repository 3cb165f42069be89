import { Button, Group, Stack, Title } from "@mantine/core";
import { useDebouncedValue, useDisclosure } from "@mantine/hooks";
import { IconPlus } from "@tabler/icons-react";
import { useEffect, useState } from "react";
import { useSearchParams } from "react-router";
import { CreateProjectModal } from "../components/projects/CreateProjectModal";
import { ProjectList } from "../components/projects/ProjectList";
import { ProjectSearch } from "../components/projects/ProjectSearch";

// ProjectsPage lists the projects the user can see. The search is part of
// the URL (?q=), so a filtered list can be linked and survives a reload.
export function ProjectsPage() {
  const [params, setParams] = useSearchParams();
  const [input, setInput] = useState(params.get("q") ?? "");
  const [search] = useDebouncedValue(input.trim(), 250);
  const [creating, { open, close }] = useDisclosure(false);

  useEffect(() => {
    setParams(
      (prev) => {
        const next = new URLSearchParams(prev);
        if (search) {
          next.set("q", search);
        } else {
          next.delete("q");
        }
        return next;
      },
      { replace: true },
    );
  }, [search, setParams]);

  return (
    <Stack maw={960} mx="auto">
      <Group justify="space-between">
        <Title order={1} size="h2">
          Projects
        </Title>
        <Button leftSection={<IconPlus size={16} aria-hidden />} onClick={open}>
          New project
        </Button>
      </Group>
      <ProjectSearch value={input} onChange={setInput} />
      <ProjectList search={search} onCreate={open} />
      <CreateProjectModal opened={creating} onClose={close} />
    </Stack>
  );
}
