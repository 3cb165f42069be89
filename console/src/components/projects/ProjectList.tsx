import { Button, Center, Stack } from "@mantine/core";
import { EmptyState } from "../EmptyState";
import { ErrorAlert } from "../ErrorAlert";
import { ProjectRow } from "./ProjectRow";
import { useProjects } from "./useProjects";
import { ListSkeleton } from "../ListSkeleton";

interface Props {
  search: string;
  onCreate(): void;
}

// ProjectList shows the matching projects, or says why there are none.
export function ProjectList({ search, onCreate }: Props) {
  const query = useProjects(search);

  if (query.isPending) {
    return <ListSkeleton label="Loading projects" rowHeight={72} />;
  }
  if (!query.data) {
    return <ErrorAlert error={query.error} title="Could not load projects" onRetry={() => void query.refetch()} />;
  }
  // A failed next page keeps the pages already shown.
  const projects = query.data.pages.flatMap((page) => page.projects);
  if (projects.length === 0) {
    return search ? (
      <EmptyState title="No matching projects">
        No project you can see has “{search}” in its name or description.
      </EmptyState>
    ) : (
      <EmptyState title="No projects yet" action={<Button onClick={onCreate}>Create a project</Button>}>
        A project holds a git repository, its issues, merge requests and pipelines.
      </EmptyState>
    );
  }
  return (
    <Stack gap="sm">
      <Stack component="ul" gap="sm" p={0} m={0} style={{ listStyle: "none" }} aria-label="Projects">
        {projects.map((p) => (
          <ProjectRow key={p.id} project={p} />
        ))}
      </Stack>
      {query.isFetchNextPageError && <ErrorAlert error={query.error} title="Could not load more projects" />}
      {query.hasNextPage && (
        <Center>
          <Button variant="default" loading={query.isFetchingNextPage} onClick={() => void query.fetchNextPage()}>
            Load more
          </Button>
        </Center>
      )}
    </Stack>
  );
}
