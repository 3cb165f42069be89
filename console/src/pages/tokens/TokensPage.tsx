import { Button, Group, Stack, Text, Title } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { IconPlus } from "@tabler/icons-react";
import { CreateTokenModal } from "../../components/tokens/CreateTokenModal";
import { TokenList } from "../../components/tokens/TokenList";

// TokensPage lists the user's personal access tokens, creates and revokes
// them.
export function TokensPage() {
  const [creating, { open, close }] = useDisclosure(false);
  return (
    <Stack maw={1100} mx="auto">
      <Group justify="space-between" wrap="wrap">
        <Title order={1} size="h2">
          Access tokens
        </Title>
        <Button leftSection={<IconPlus size={16} aria-hidden />} onClick={open}>
          New token
        </Button>
      </Group>
      <Text c="dimmed">
        Personal access tokens act as you for git over HTTP and the API. A token can never do more than you can.
      </Text>
      <TokenList onCreate={open} />
      <CreateTokenModal opened={creating} onClose={close} />
    </Stack>
  );
}
