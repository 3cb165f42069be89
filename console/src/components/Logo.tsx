import { Group, Text, UnstyledButton } from "@mantine/core";
import { IconFlame } from "@tabler/icons-react";
import { Link } from "react-router";
import { paths } from "../routes/paths";

export function Logo() {
  return (
    <UnstyledButton component={Link} to={paths.home} aria-label="Hearth home">
      <Group gap={6} wrap="nowrap">
        <IconFlame size={24} color="var(--mantine-color-orange-6)" aria-hidden />
        <Text fw={700} size="lg">
          Hearth
        </Text>
      </Group>
    </UnstyledButton>
  );
}
