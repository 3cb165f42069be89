import { Anchor, Group, Paper, Skeleton, Stack, Text, Title } from "@mantine/core";
import { IconDownload } from "@tabler/icons-react";
import { ErrorAlert } from "../ErrorAlert";
import { absoluteTime, formatBytes } from "./format";
import { useArtifacts } from "./usePipelines";

// The REST route that downloads one artifact (docs/pipelines.md).
export function artifactDownloadPath(id: string): string {
  return `/api/v1/artifacts/${encodeURIComponent(id)}/download`;
}

// ArtifactList lists the files a job kept, each with a download link.
export function ArtifactList({ jobId, finished }: { jobId: string; finished: boolean }) {
  const query = useArtifacts(jobId, finished);
  if (!finished) {
    return null;
  }
  return (
    <Stack gap="xs" component="section" aria-labelledby="artifacts-title">
      <Title order={2} size="h5" id="artifacts-title">
        Artifacts
      </Title>
      {query.isPending ? (
        <Skeleton h={40} aria-label="Loading artifacts" />
      ) : query.isError ? (
        <ErrorAlert error={query.error} title="Could not list the artifacts" onRetry={() => void query.refetch()} />
      ) : query.data.length === 0 ? (
        <Text size="sm" c="dimmed">
          None. A job keeps files after it succeeds when its .hearth.yml lists them under artifacts.paths.
        </Text>
      ) : (
        <Stack component="ul" gap={6} p={0} m={0} style={{ listStyle: "none" }}>
          {query.data.map((a) => (
            <Paper component="li" key={a.id} withBorder p="xs" radius="sm">
              <Group justify="space-between" wrap="wrap" gap="xs">
                <Anchor
                  href={artifactDownloadPath(a.id)}
                  download
                  fw={500}
                  style={{ wordBreak: "break-all", display: "inline-flex", gap: 6, alignItems: "center" }}
                >
                  <IconDownload size={16} aria-hidden />
                  {a.name}
                </Anchor>
                <Text size="xs" c="dimmed">
                  {formatBytes(Number(a.sizeBytes))}
                  {a.expireTime && ` · expires ${absoluteTime(a.expireTime)}`}
                </Text>
              </Group>
            </Paper>
          ))}
        </Stack>
      )}
    </Stack>
  );
}
