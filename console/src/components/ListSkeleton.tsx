import { Skeleton, Stack } from "@mantine/core";

// ListSkeleton stands in for a list while its first page loads.
export function ListSkeleton({ label, rowHeight = 64 }: { label: string; rowHeight?: number }) {
  return (
    <Stack aria-busy="true" aria-label={label}>
      {[0, 1, 2].map((i) => (
        <Skeleton key={i} h={rowHeight} radius="md" />
      ))}
    </Stack>
  );
}
