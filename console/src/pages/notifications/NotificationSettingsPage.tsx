import { List, Stack, Text, Title } from "@mantine/core";
import { SubscriptionList } from "../../components/notifications/SubscriptionList";
import { subscriptionLevels } from "../../components/notifications/subscriptionLevels";

// NotificationSettingsPage lists what the user subscribes to: the levels
// set on projects (from each project's page) and on threads.
export function NotificationSettingsPage() {
  return (
    <Stack>
      <Title order={2} size="h3">
        Subscriptions
      </Title>
      <Text c="dimmed" size="sm" component="div">
        How much you hear of a project is set on its page, with the button beside its name (Watch, Participate or Mute):
        <List size="sm" mt={4}>
          {subscriptionLevels.map((l) => (
            <List.Item key={l.value}>
              <b>{l.label}</b>
              {l.value === "participate" ? " (the default)" : ""}: {l.help}
            </List.Item>
          ))}
        </List>
      </Text>
      <SubscriptionList />
    </Stack>
  );
}
