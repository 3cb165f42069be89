import { Button, Group, Stack, Text, Title } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { IconPlus } from "@tabler/icons-react";
import type { ReactNode } from "react";
import { CreateWebhookModal } from "./CreateWebhookModal";
import { useWebhooks } from "./useWebhooks";
import { WebhookList } from "./WebhookList";
import type { WebhookScope } from "./webhookScope";

interface Props {
  scope: WebhookScope;
  // What the page says above the list.
  intro: ReactNode;
}

// WebhooksPanel is a scope's webhooks page: the list, a button to add one
// and the dialog that adds it. The project's settings and the
// administration share it.
export function WebhooksPanel({ scope, intro }: Props) {
  const [creating, { open, close }] = useDisclosure(false);
  const list = useWebhooks(scope);
  return (
    <Stack>
      <Group justify="space-between" wrap="wrap" gap="sm">
        <Title order={2} size="h3">
          Webhooks
        </Title>
        <Button leftSection={<IconPlus size={16} aria-hidden />} onClick={open} disabled={!list.isSuccess}>
          New webhook
        </Button>
      </Group>
      <Text c="dimmed" size="sm" component="div">
        {intro}
      </Text>
      <WebhookList scope={scope} empty="Add one with New webhook: Hearth POSTs the events you choose to its URL, signed, and retries what fails." />
      <CreateWebhookModal scope={scope} opened={creating} onClose={close} />
    </Stack>
  );
}
