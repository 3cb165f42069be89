import { Button, Group, Stack, Title } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { IconPlus } from "@tabler/icons-react";
import { useEffect, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { IssueFilterBar } from "../../../components/issues/IssueFilterBar";
import { IssueList } from "../../../components/issues/IssueList";
import { applyFilters, filtersFromParams } from "../../../components/issues/issueFilters";
import { useLabels } from "../../../components/issues/useLabels";
import { useProjectContext } from "../../../components/project/useProjectContext";
import { projectPath } from "../../../routes/paths";

// IssueListPage lists a project's issues; its filters live in the URL.
export function IssueListPage() {
  const project = useProjectContext();
  const { owner, name } = project;
  const [params, setParams] = useSearchParams();
  const filters = filtersFromParams(params);
  const labels = useLabels(owner, name);
  const [q, setQ] = useState(filters.q);
  const [assignee, setAssignee] = useState(filters.assignee);
  const [debouncedQ] = useDebouncedValue(q.trim(), 300);
  const [debouncedAssignee] = useDebouncedValue(assignee.trim(), 300);

  // The URL changed by other means (back, forward, a link): show it.
  const [seen, setSeen] = useState({ q: filters.q, assignee: filters.assignee });
  if (seen.q !== filters.q || seen.assignee !== filters.assignee) {
    setSeen({ q: filters.q, assignee: filters.assignee });
    if (filters.q !== debouncedQ) {
      setQ(filters.q);
    }
    if (filters.assignee !== debouncedAssignee) {
      setAssignee(filters.assignee);
    }
  }

  useEffect(() => {
    setParams((prev) => applyFilters(prev, { q: debouncedQ, assignee: debouncedAssignee }), { replace: true });
  }, [debouncedQ, debouncedAssignee, setParams]);

  return (
    <Stack gap="md">
      <Group justify="space-between">
        <Title order={2} size="h3">
          Issues
        </Title>
        <Button component={Link} to={projectPath(owner, name, "issues/new")} leftSection={<IconPlus size={16} aria-hidden />}>
          New issue
        </Button>
      </Group>
      <IssueFilterBar
        state={filters.state}
        label={filters.label}
        assignee={assignee}
        q={q}
        labels={labels.data ?? []}
        onState={(state) => setParams((prev) => applyFilters(prev, { state }))}
        onLabel={(label) => setParams((prev) => applyFilters(prev, { label }))}
        onAssignee={setAssignee}
        onQuery={setQ}
      />
      <IssueList owner={owner} name={name} filters={filters} labels={labels.byName} />
    </Stack>
  );
}
