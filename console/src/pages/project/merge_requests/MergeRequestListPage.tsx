import { Button, Group, SegmentedControl, Stack, Title } from "@mantine/core";
import { IconPlus } from "@tabler/icons-react";
import { Link, useSearchParams } from "react-router";
import { MergeRequestList } from "../../../components/merge_requests/MergeRequestList";
import { parseMergeRequestFilter } from "../../../components/merge_requests/useMergeRequestList";
import { useProjectContext } from "../../../components/project/useProjectContext";
import { projectPath } from "../../../routes/paths";

// MergeRequestListPage lists a project's merge requests by state (?state=).
export function MergeRequestListPage() {
  const { owner, name } = useProjectContext();
  const [params, setParams] = useSearchParams();
  const filter = parseMergeRequestFilter(params.get("state"));
  return (
    <Stack gap="md">
      <Group justify="space-between">
        <Title order={2} size="h3">
          Merge requests
        </Title>
        <Button component={Link} to={projectPath(owner, name, "merge_requests/new")} leftSection={<IconPlus size={16} aria-hidden />}>
          New merge request
        </Button>
      </Group>
      <SegmentedControl
        aria-label="State"
        style={{ alignSelf: "flex-start", maxWidth: "100%" }}
        value={filter}
        onChange={(v) =>
          setParams((prev) => {
            const next = new URLSearchParams(prev);
            if (v === "open") {
              next.delete("state");
            } else {
              next.set("state", v);
            }
            return next;
          })
        }
        data={[
          { value: "open", label: "Open" },
          { value: "merged", label: "Merged" },
          { value: "closed", label: "Closed" },
          { value: "all", label: "All" },
        ]}
      />
      <MergeRequestList owner={owner} name={name} filter={filter} />
    </Stack>
  );
}
