import { Alert, Anchor, Button, Group, MultiSelect, Stack, TextInput, Title } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router";
import { useClient } from "../../../api/useClient";
import { ErrorAlert } from "../../../components/ErrorAlert";
import { issuesKey } from "../../../components/issues/issueKeys";
import { useLabels } from "../../../components/issues/useLabels";
import { writeErrorTitle } from "../../../components/issues/writeErrorTitle";
import { MarkdownEditor } from "../../../components/markdown/MarkdownEditor";
import { useProjectContext } from "../../../components/project/useProjectContext";
import { IssueService } from "../../../gen/hearth/v1/issue_pb";
import { projectPath } from "../../../routes/paths";

// NewIssuePage opens an issue: a title, a markdown body and labels.
export function NewIssuePage() {
  const project = useProjectContext();
  const { owner, name } = project;
  const issues = useClient(IssueService);
  const labels = useLabels(owner, name);
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [title, setTitle] = useState("");
  const [body, setBody] = useState("");
  const [chosen, setChosen] = useState<string[]>([]);
  const [touched, setTouched] = useState(false);

  const create = useMutation({
    mutationFn: () => issues.createIssue({ owner, name, title: title.trim(), body, labels: chosen }),
    onSuccess: (res) => {
      void queryClient.invalidateQueries({ queryKey: issuesKey(owner, name) });
      const n = res.issue?.number ?? 0n;
      notifications.show({ color: "green", message: `Opened issue #${n}.` });
      void navigate(projectPath(owner, name, `issues/${n}`));
    },
  });

  const titleProblem = !title.trim() ? "Give the issue a title." : title.trim().length > 255 ? "At most 255 characters." : null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (!titleProblem) {
      create.mutate();
    }
  };

  return (
    <Stack gap="md" maw={860}>
      <Title order={2} size="h3">
        New issue
      </Title>
      {project.archived && (
        <Alert color="gray" title="This project is archived">
          It is read-only: no issue can be opened.
        </Alert>
      )}
      <form onSubmit={submit} noValidate>
        <Stack>
          {create.isError && (
            <ErrorAlert error={create.error} title={writeErrorTitle(create.error, project, "Could not open the issue")} />
          )}
          <TextInput
            label="Title"
            required
            data-autofocus
            autoFocus
            value={title}
            error={touched && titleProblem}
            onChange={(e) => setTitle(e.currentTarget.value)}
          />
          <MarkdownEditor label="Description" value={body} onChange={setBody} minRows={6} />
          <MultiSelect
            label="Labels"
            placeholder={labels.data?.length === 0 ? "This project has no labels" : "Choose labels"}
            searchable
            clearable
            data={(labels.data ?? []).map((l) => l.name)}
            value={chosen}
            onChange={setChosen}
            disabled={labels.data?.length === 0}
          />
          <Group justify="flex-end">
            <Anchor component={Link} to={projectPath(owner, name, "issues")} size="sm">
              Cancel
            </Anchor>
            <Button type="submit" loading={create.isPending} disabled={project.archived}>
              Open issue
            </Button>
          </Group>
        </Stack>
      </form>
    </Stack>
  );
}
