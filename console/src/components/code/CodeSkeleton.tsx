import { Skeleton, Stack } from "@mantine/core";

// CodeSkeleton stands in for a listing, file or commit while it loads.
export function CodeSkeleton({ rows = 6, label }: { rows?: number; label: string }) {
  return (
    <Stack gap={6} aria-busy="true" aria-label={label}>
      {Array.from({ length: rows }, (_, i) => (
        <Skeleton key={i} h={28} w={i % 3 === 2 ? "70%" : "100%"} />
      ))}
    </Stack>
  );
}
