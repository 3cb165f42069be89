import { Alert, List } from "@mantine/core";
import { IconHandStop } from "@tabler/icons-react";

// MergeBlockers lists why the merge request cannot be merged now.
export function MergeBlockers({ blockers }: { blockers: string[] }) {
  if (blockers.length === 0) {
    return null;
  }
  return (
    <Alert role="status" color="orange" variant="light" icon={<IconHandStop aria-hidden />} title="Cannot be merged yet">
      <List size="sm" aria-label="Merge blockers">
        {blockers.map((b) => (
          <List.Item key={b}>{b}</List.Item>
        ))}
      </List>
    </Alert>
  );
}
