import { Anchor, Badge, Group, Skeleton, Stack, Tabs, Text, Title } from "@mantine/core";
import { Link, Outlet, useLocation, useNavigate } from "react-router";
import { ErrorAlert } from "../../components/ErrorAlert";
import { SubscriptionMenu } from "../../components/notifications/SubscriptionMenu";
import { projectTabs, activeTab } from "../../components/project/projectTabs";
import { useProject, useProjectParams } from "../../components/project/useProject";
import { visibilityLabel } from "../../components/projects/visibility";
import { paths, projectPath } from "../../routes/paths";

// ProjectLayout is the frame of every page of one project: its name,
// visibility, the user's notification level and tabs; the tab's page
// renders below.
export function ProjectLayout() {
  const { owner, name } = useProjectParams();
  const project = useProject();
  const location = useLocation();
  const navigate = useNavigate();
  const tab = activeTab(owner, name, location.pathname);

  if (project.isPending) {
    return (
      <Stack maw={1200} mx="auto" aria-busy="true" aria-label="Loading the project">
        <Skeleton h={32} w={280} />
        <Skeleton h={36} />
      </Stack>
    );
  }
  if (!project.data) {
    return (
      <Stack maw={1200} mx="auto">
        <ErrorAlert error={project.error} title={`Could not open ${owner}/${name}`} onRetry={() => void project.refetch()} />
        <Anchor component={Link} to={paths.projects}>
          Back to the projects
        </Anchor>
      </Stack>
    );
  }
  const p = project.data;
  return (
    <Stack maw={1200} mx="auto" gap="md">
      <Group justify="space-between" wrap="wrap" gap="xs">
        <Title order={1} size="h2" style={{ wordBreak: "break-word" }}>
          <Anchor component={Link} to={paths.projects} c="dimmed" inherit underline="never">
            {p.owner}
          </Anchor>
          <Text span c="dimmed" inherit>
            {" / "}
          </Text>
          {p.name}
        </Title>
        <Group gap={6}>
          {p.archived && (
            <Badge color="gray" variant="outline">
              Archived
            </Badge>
          )}
          <Badge variant="light">{visibilityLabel[p.visibility]}</Badge>
          <SubscriptionMenu project={p} />
        </Group>
      </Group>
      {p.description && <Text c="dimmed">{p.description}</Text>}
      <Tabs
        value={tab}
        onChange={(value) => {
          const target = projectTabs.find((t) => t.value === value);
          void navigate(projectPath(p.owner, p.name, target?.segment || undefined));
        }}
        keepMounted={false}
      >
        <Tabs.List style={{ flexWrap: "nowrap", overflowX: "auto" }}>
          {projectTabs.map((t) => (
            <Tabs.Tab key={t.value} value={t.value}>
              {t.label}
            </Tabs.Tab>
          ))}
        </Tabs.List>
      </Tabs>
      <Outlet context={p} />
    </Stack>
  );
}
