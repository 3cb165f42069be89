import { Alert, Button, Checkbox, Group, Modal, PasswordInput, Radio, SimpleGrid, Stack, Text, TextInput } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { IconAlertTriangle } from "@tabler/icons-react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { ErrorAlert } from "../ErrorAlert";
import { eventGroups } from "../notifications/eventTypes";
import { SecretValue } from "../tokens/SecretValue";
import { maxSecret, minSecret, secretProblem, urlProblem } from "./webhookRules";
import type { WebhookScope } from "./webhookScope";

interface Props {
  scope: WebhookScope;
  opened: boolean;
  onClose(): void;
}

const mono = { input: { fontFamily: "var(--mantine-font-family-monospace)" } };

// CreateWebhookModal registers a webhook, then shows its signing secret
// this one time: closing the dialog forgets it.
export function CreateWebhookModal({ scope, opened, onClose }: Props) {
  const queryClient = useQueryClient();
  const [url, setUrl] = useState("");
  const [which, setWhich] = useState<"all" | "some">("all");
  const [events, setEvents] = useState<string[]>([]);
  const [secret, setSecret] = useState("");

  const create = useMutation({
    // The request is built here, not passed to mutate, so a chosen secret
    // is not kept in the mutation's variables.
    mutationFn: () => scope.create({ url: url.trim(), events: which === "all" ? [] : events, secret }),
    onSuccess: (res) => {
      setSecret("");
      void queryClient.invalidateQueries({ queryKey: scope.queryKey });
      notifications.show({ color: "green", message: `Added a webhook to ${res.webhook?.url ?? url.trim()}.` });
    },
  });

  const close = () => {
    setUrl("");
    setWhich("all");
    setEvents([]);
    setSecret("");
    create.reset();
    onClose();
  };

  const problems = {
    url: urlProblem(url.trim()),
    events: which === "some" && events.length === 0 ? "Choose at least one, or send all events." : null,
    secret: secretProblem(secret),
  };
  const ready = Boolean(url.trim()) && Object.values(problems).every((p) => p === null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (ready) {
      create.mutate();
    }
  };

  const created = create.data;
  return (
    <Modal
      opened={opened}
      onClose={close}
      title={created ? "Webhook added" : "New webhook"}
      size="lg"
      closeOnClickOutside={false}
    >
      {created ? (
        <Stack>
          <Alert color="yellow" variant="light" icon={<IconAlertTriangle aria-hidden />} title="Copy the signing secret now">
            This is the only time it is shown. Hearth keeps it encrypted and signs every delivery with it, but never shows it
            again: to get a new one, delete the webhook and add it anew.
          </Alert>
          <Text size="sm" ff="monospace" style={{ wordBreak: "break-all" }}>
            {created.webhook?.url}
          </Text>
          <SecretValue value={created.secret} label="Signing secret" copyLabel="Copy secret" />
          <Text size="sm" c="dimmed">
            Each delivery is a POST with <code>X-Hearth-Signature: sha256=…</code>, the hex HMAC-SHA256 of the body under this
            secret. Compare it before trusting the payload.
          </Text>
          <Group justify="flex-end">
            <Button onClick={close}>I have copied it</Button>
          </Group>
        </Stack>
      ) : (
        <form onSubmit={submit} noValidate aria-label="New webhook">
          <Stack>
            {create.isError && <ErrorAlert error={create.error} title="Could not add the webhook" />}
            <TextInput
              label="URL"
              description="Where Hearth POSTs each event as JSON. Private, loopback and link-local addresses are refused unless an administrator allowed them."
              placeholder="https://ci.example.com/hooks/hearth"
              required
              data-autofocus
              value={url}
              error={problems.url}
              styles={mono}
              autoComplete="off"
              spellCheck={false}
              onChange={(e) => setUrl(e.currentTarget.value)}
            />
            <Radio.Group label="Events" value={which} onChange={(v) => setWhich(v === "some" ? "some" : "all")}>
              <Stack gap="xs" mt="xs">
                <Radio value="all" label="All events" description={`Everything that happens in ${scope.where}, including event types added later.`} />
                <Radio value="some" label="Only these events" />
              </Stack>
            </Radio.Group>
            {which === "some" && (
              <Checkbox.Group aria-label="Event types" value={events} onChange={setEvents} error={problems.events}>
                <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md" verticalSpacing="md">
                  {eventGroups().map((g) => (
                    <Stack key={g.group} gap={6} role="group" aria-label={g.group}>
                      <Text size="sm" fw={500}>
                        {g.group}
                      </Text>
                      {g.types.map((t) => (
                        <Checkbox
                          key={t.value}
                          value={t.value}
                          label={
                            <Text span size="sm" ff="monospace">
                              {t.value}
                            </Text>
                          }
                          description={t.label}
                        />
                      ))}
                    </Stack>
                  ))}
                </SimpleGrid>
              </Checkbox.Group>
            )}
            <PasswordInput
              label="Signing secret"
              description={`Optional: ${minSecret} to ${maxSecret} characters. Leave empty and Hearth makes up a strong one.`}
              value={secret}
              error={problems.secret}
              autoComplete="new-password"
              spellCheck={false}
              data-1p-ignore
              data-lpignore="true"
              onChange={(e) => setSecret(e.currentTarget.value)}
            />
            <Group justify="flex-end">
              <Button variant="default" onClick={close}>
                Cancel
              </Button>
              <Button type="submit" loading={create.isPending} disabled={!ready}>
                Add webhook
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Modal>
  );
}
