import { Skeleton, Stack } from "@mantine/core";

// TableSkeleton stands in for a list while it loads.
export function TableSkeleton({ label, rows = 3 }: { label: string; rows?: number }) {
  return (
    <Stack aria-busy="true" aria-label={label} gap="xs">
      {Array.from({ length: rows }, (_, i) => (
        <Skeleton key={i} h={44} radius="sm" />
      ))}
    </Stack>
  );
}
