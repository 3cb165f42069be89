import { Alert, Code, List, Text } from "@mantine/core";
import { IconAlertTriangle, IconCheck, IconGitMerge, IconLoader } from "@tabler/icons-react";
import { Mergeability, type MergeStatus } from "../../gen/hearth/v1/merge_request_pb";

// MergeabilityStatus says whether the source merges cleanly into the
// target: mergeable, conflicting (with the files), unrelated, or not
// checked yet.
export function MergeabilityStatus({ status }: { status: MergeStatus | undefined }) {
  switch (status?.mergeability) {
    case Mergeability.MERGEABLE:
      return (
        <Alert role="status" color="green" variant="light" icon={<IconCheck aria-hidden />} title="No conflicts">
          <Text size="sm">
            The changes merge cleanly
            {status.canFastForward ? "; the target can also be fast-forwarded." : ". The target cannot be fast-forwarded."}
          </Text>
        </Alert>
      );
    case Mergeability.CONFLICTS:
      return (
        <Alert role="status" color="red" variant="light" icon={<IconAlertTriangle aria-hidden />} title="Conflicts">
          <Text size="sm">
            {status.conflicts.length === 1 ? "This file conflicts" : `These ${status.conflicts.length} files conflict`} with the
            target. Merge the target into the source branch, resolve them and push.
          </Text>
          <List size="sm" mt={4} aria-label="Conflicting files">
            {status.conflicts.map((f) => (
              <List.Item key={f}>
                <Code>{f}</Code>
              </List.Item>
            ))}
          </List>
        </Alert>
      );
    case Mergeability.UNRELATED:
      return (
        <Alert role="status" color="red" variant="light" icon={<IconGitMerge aria-hidden />} title="Unrelated histories">
          <Text size="sm">The source and target branches share no history: they cannot be merged.</Text>
        </Alert>
      );
    default:
      return (
        <Alert role="status" color="gray" variant="light" icon={<IconLoader aria-hidden />} title="Checking mergeability">
          <Text size="sm">Hearth has not finished checking whether this merges cleanly. Reload in a moment.</Text>
        </Alert>
      );
  }
}
