import { Alert, Anchor, Stack, Text } from "@mantine/core";
import { IconLock } from "@tabler/icons-react";
import { Link } from "react-router";
import { paths } from "../../routes/paths";

// PermissionNotice tells a user without the rights why a page shows
// nothing, instead of an empty or broken page.
export function PermissionNotice({ title, children }: { title: string; children: string }) {
  return (
    <Stack>
      <Alert color="orange" variant="light" icon={<IconLock aria-hidden />} title={title} role="alert">
        <Text size="sm">{children}</Text>
      </Alert>
      <Anchor component={Link} to={paths.projects}>
        Back to the projects
      </Anchor>
    </Stack>
  );
}
