import { Button, Center, Stack, Text, Title } from "@mantine/core";
import { Link, useLocation } from "react-router";
import { paths } from "../routes/paths";

export function NotFoundPage() {
  const location = useLocation();
  return (
    <Center mih="50vh">
      <Stack align="center" gap="sm" maw={480} ta="center">
        <Text fw={700} size="3rem" c="dimmed" aria-hidden>
          404
        </Text>
        <Title order={1} size="h2">
          Page not found
        </Title>
        <Text c="dimmed">
          Nothing lives at <code>{location.pathname}</code>. It may have moved, or the link is mistyped.
        </Text>
        <Button component={Link} to={paths.projects}>
          Go to projects
        </Button>
      </Stack>
    </Center>
  );
}
