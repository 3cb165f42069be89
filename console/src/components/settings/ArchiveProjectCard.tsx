import { Button } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { notifications } from "@mantine/notifications";
import { useMutation } from "@tanstack/react-query";
import { useClient } from "../../api/useClient";
import { ProjectService, type Project } from "../../gen/hearth/v1/project_pb";
import { ConfirmDialog } from "../tokens/ConfirmDialog";
import { DangerCard } from "./DangerCard";
import { useUpdateProjectCache } from "./useUpdateProjectCache";

// ArchiveProjectCard archives a project (read-only) or unarchives it.
export function ArchiveProjectCard({ project }: { project: Project }) {
  const projects = useClient(ProjectService);
  const store = useUpdateProjectCache();
  const [opened, { open, close }] = useDisclosure(false);
  const archived = project.archived;
  const run = useMutation({
    mutationFn: async () => {
      const req = { owner: project.owner, name: project.name };
      const res = archived ? await projects.unarchiveProject(req) : await projects.archiveProject(req);
      return res.project;
    },
    onSuccess: (updated) => {
      store(updated);
      notifications.show({ color: "green", message: archived ? "The project is writable again." : "Archived the project." });
      close();
    },
  });
  const verb = archived ? "Unarchive" : "Archive";
  return (
    <DangerCard
      title={archived ? "Unarchive this project" : "Archive this project"}
      description={
        archived
          ? "Make the project writable again: pushes, issues and merge requests are accepted."
          : "Make the project read-only: pushes, issues, comments, labels and merge requests are refused until it is unarchived."
      }
    >
      <Button variant="outline" color={archived ? undefined : "red"} onClick={open}>
        {verb} project
      </Button>
      <ConfirmDialog
        opened={opened}
        title={`${verb} ${project.owner}/${project.name}?`}
        confirmLabel={`${verb} project`}
        danger={!archived}
        loading={run.isPending}
        error={run.error}
        onConfirm={() => run.mutate()}
        onClose={() => {
          run.reset();
          close();
        }}
      >
        {archived ? "Everyone with write access can change it again." : "Nobody can change it until it is unarchived."}
      </ConfirmDialog>
    </DangerCard>
  );
}
