import { Button, Center, Stack, Text, Title } from "@mantine/core";
import { isRouteErrorResponse, useRouteError } from "react-router";

// RouteError is shown when rendering a route throws: a way back instead of
// a blank page.
export function RouteError() {
  const err = useRouteError();
  const detail = isRouteErrorResponse(err) ? `${err.status} ${err.statusText}` : err instanceof Error ? err.message : "";
  return (
    <Center mih="100vh" p="md">
      <Stack align="center" gap="sm" maw={480}>
        <Title order={1} size="h2">
          Something went wrong
        </Title>
        <Text c="dimmed" ta="center">
          This page failed to load. Reloading often helps.
        </Text>
        {detail && (
          <Text size="sm" ff="monospace" c="dimmed" ta="center">
            {detail}
          </Text>
        )}
        <Button onClick={() => window.location.reload()}>Reload</Button>
      </Stack>
    </Center>
  );
}
