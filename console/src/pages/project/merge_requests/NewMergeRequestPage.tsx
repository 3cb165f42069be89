import { Alert, Anchor, Button, Group, Select, Skeleton, Stack, Switch, TextInput, Title } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { useClient } from "../../../api/useClient";
import { EmptyState } from "../../../components/EmptyState";
import { ErrorAlert } from "../../../components/ErrorAlert";
import { writeErrorTitle } from "../../../components/issues/writeErrorTitle";
import { MarkdownEditor } from "../../../components/markdown/MarkdownEditor";
import { mergeRequestsKey } from "../../../components/merge_requests/mrKeys";
import { titleFromBranch } from "../../../components/merge_requests/titleFromBranch";
import { useProjectContext } from "../../../components/project/useProjectContext";
import { MergeRequestService } from "../../../gen/hearth/v1/merge_request_pb";
import { RepositoryService } from "../../../gen/hearth/v1/repository_pb";
import { projectPath } from "../../../routes/paths";

// NewMergeRequestPage opens a merge request from one branch into another
// (?source=&target= preselect them).
export function NewMergeRequestPage() {
  const project = useProjectContext();
  const { owner, name } = project;
  const repo = useClient(RepositoryService);
  const mrs = useClient(MergeRequestService);
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const branches = useQuery({
    queryKey: ["branches", owner.toLowerCase(), name.toLowerCase()],
    queryFn: ({ signal }) => repo.listBranches({ owner, name }, { signal }),
  });
  const [source, setSource] = useState<string | null>(params.get("source"));
  const [target, setTarget] = useState<string | null>(params.get("target"));
  const [title, setTitle] = useState("");
  const [titleEdited, setTitleEdited] = useState(false);
  const [description, setDescription] = useState("");
  const [draft, setDraft] = useState(false);
  const [touched, setTouched] = useState(false);

  const create = useMutation({
    mutationFn: (input: { source: string; target: string; title: string }) =>
      mrs.createMergeRequest({
        owner,
        name,
        sourceBranch: input.source,
        targetBranch: input.target,
        title: input.title,
        description,
        draft,
      }),
    onSuccess: (res) => {
      void queryClient.invalidateQueries({ queryKey: mergeRequestsKey(owner, name) });
      const n = res.mergeRequest?.number ?? 0n;
      notifications.show({ color: "green", message: `Opened merge request !${n}.` });
      void navigate(projectPath(owner, name, `merge_requests/${n}`));
    },
  });

  if (branches.isPending) {
    return (
      <Stack aria-busy="true" aria-label="Loading branches" maw={860}>
        <Skeleton h={28} w={240} />
        <Skeleton h={36} />
        <Skeleton h={36} />
      </Stack>
    );
  }
  if (!branches.data) {
    return <ErrorAlert error={branches.error} title="Could not load the branches" onRetry={() => void branches.refetch()} />;
  }
  const names = branches.data.branches.map((b) => b.name);
  if (names.length < 2) {
    return (
      <EmptyState title="Two branches are needed">
        A merge request merges one branch into another. Push a branch with your changes first.
      </EmptyState>
    );
  }
  const targetValue = target ?? branches.data.defaultBranch ?? null;
  const effectiveTitle = titleEdited ? title : source ? titleFromBranch(source) : "";
  const sourceProblem = !source ? "Choose the branch with the changes." : null;
  const sameProblem = source && targetValue && source === targetValue ? "The source and the target must be different branches." : null;
  const targetProblem = !targetValue ? "Choose the branch to merge into." : sameProblem;
  const titleProblem = !effectiveTitle.trim() ? "Give it a title." : effectiveTitle.trim().length > 255 ? "At most 255 characters." : null;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (!sourceProblem && !targetProblem && !titleProblem && source && targetValue) {
      create.mutate({ source, target: targetValue, title: effectiveTitle.trim() });
    }
  };

  return (
    <Stack gap="md" maw={860}>
      <Title order={2} size="h3">
        New merge request
      </Title>
      {project.archived && (
        <Alert color="gray" title="This project is archived">
          It is read-only: no merge request can be opened.
        </Alert>
      )}
      <form onSubmit={submit} noValidate>
        <Stack>
          {create.isError && (
            <ErrorAlert error={create.error} title={writeErrorTitle(create.error, project, "Could not open the merge request")} />
          )}
          <Group grow wrap="wrap" align="flex-start">
            <Select
              label="Source branch"
              description="The branch with the changes"
              placeholder="Choose a branch"
              searchable
              required
              data={names}
              value={source}
              onChange={setSource}
              error={(touched && sourceProblem) || sameProblem}
              style={{ minWidth: 200 }}
            />
            <Select
              label="Target branch"
              description="The branch to merge into"
              searchable
              required
              data={names}
              value={targetValue}
              onChange={setTarget}
              error={touched ? targetProblem : sameProblem ? " " : null}
              style={{ minWidth: 200 }}
            />
          </Group>
          <TextInput
            label="Title"
            required
            value={effectiveTitle}
            error={touched && titleProblem}
            onChange={(e) => {
              setTitleEdited(true);
              setTitle(e.currentTarget.value);
            }}
          />
          <MarkdownEditor label="Description" value={description} onChange={setDescription} minRows={5} />
          <Switch
            label="Draft"
            description="A draft cannot be merged until it is marked ready."
            checked={draft}
            onChange={(e) => setDraft(e.currentTarget.checked)}
          />
          <Group justify="flex-end">
            <Anchor component={Link} to={projectPath(owner, name, "merge_requests")} size="sm">
              Cancel
            </Anchor>
            <Button type="submit" loading={create.isPending} disabled={project.archived}>
              Open merge request
            </Button>
          </Group>
        </Stack>
      </form>
    </Stack>
  );
}
