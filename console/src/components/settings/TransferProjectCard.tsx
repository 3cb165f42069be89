import { Button, Group, TextInput } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import { useClient } from "../../api/useClient";
import { ProjectService, type Project } from "../../gen/hearth/v1/project_pb";
import { projectPath } from "../../routes/paths";
import { projectKey } from "../project/useProject";
import { ConfirmDialog } from "../tokens/ConfirmDialog";
import { DangerCard } from "./DangerCard";
import { useUpdateProjectCache } from "./useUpdateProjectCache";

// TransferProjectCard moves the project to a group (or the user's own
// namespace) and goes to its new URL.
export function TransferProjectCard({ project }: { project: Project }) {
  const projects = useClient(ProjectService);
  const queryClient = useQueryClient();
  const store = useUpdateProjectCache();
  const navigate = useNavigate();
  const [namespace, setNamespace] = useState("");
  const [confirming, setConfirming] = useState(false);
  const target = namespace.trim();
  const transfer = useMutation({
    mutationFn: () => projects.transferProject({ owner: project.owner, name: project.name, namespace: target }),
    onSuccess: (res) => {
      const p = res.project;
      queryClient.removeQueries({ queryKey: projectKey(project.owner, project.name) });
      store(p);
      notifications.show({ color: "green", message: `Moved to ${p?.owner}/${p?.name}.` });
      if (p) {
        void navigate(projectPath(p.owner, p.name, "settings/danger"), { replace: true });
      }
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (target && target !== project.owner) {
      setConfirming(true);
    }
  };
  return (
    <DangerCard
      title="Transfer"
      description="Move the project to a group where you may create projects, or to your own namespace. Its URL changes."
    >
      <form onSubmit={submit} noValidate aria-label="Transfer the project" style={{ flex: 1, minWidth: 240, maxWidth: 420 }}>
        <Group align="flex-start" gap="xs" wrap="nowrap">
          <TextInput
            aria-label="New namespace"
            placeholder="group or your username"
            value={namespace}
            onChange={(e) => setNamespace(e.currentTarget.value)}
            style={{ flex: 1 }}
          />
          <Button type="submit" variant="outline" color="red" disabled={!target || target === project.owner}>
            Transfer
          </Button>
        </Group>
      </form>
      <ConfirmDialog
        opened={confirming}
        title="Transfer the project?"
        confirmLabel="Transfer project"
        danger
        loading={transfer.isPending}
        error={transfer.error}
        onConfirm={() => transfer.mutate()}
        onClose={() => {
          transfer.reset();
          setConfirming(false);
        }}
      >
        {project.owner}/{project.name} becomes {target}/{project.name}. The old URL stops working and the members of{" "}
        {target} gain the access their roles there give.
      </ConfirmDialog>
    </DangerCard>
  );
}
