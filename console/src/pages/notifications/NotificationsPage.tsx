import { Button, Group, SegmentedControl, Stack, Text } from "@mantine/core";
import { IconChecks } from "@tabler/icons-react";
import { useSearchParams } from "react-router";
import { ErrorAlert } from "../../components/ErrorAlert";
import { NotificationList } from "../../components/notifications/NotificationList";
import { useUnreadCount } from "../../components/notifications/useNotificationFeed";
import { useMarkRead } from "../../components/notifications/useNotifications";

// NotificationsPage lists the user's notifications, all or only the
// unread ones (?unread=1), and marks them read.
export function NotificationsPage() {
  const [params, setParams] = useSearchParams();
  const unreadOnly = params.get("unread") === "1";
  const markRead = useMarkRead();
  // The count the bell keeps live (and every list answer updates).
  const unread = useUnreadCount();
  return (
    <Stack>
      <Group justify="space-between" wrap="wrap" gap="sm">
        <SegmentedControl
          aria-label="Show"
          value={unreadOnly ? "unread" : "all"}
          onChange={(v) => setParams(v === "unread" ? { unread: "1" } : {}, { replace: true })}
          data={[
            { value: "all", label: "All" },
            { value: "unread", label: unread ? `Unread (${unread})` : "Unread" },
          ]}
        />
        <Button
          variant="default"
          leftSection={<IconChecks size={16} aria-hidden />}
          loading={markRead.isPending && markRead.variables?.length === 0}
          disabled={unread === 0}
          onClick={() => markRead.mutate([])}
        >
          Mark all read
        </Button>
      </Group>
      <Text c="dimmed" size="sm">
        What happened in projects you take part in or watch, newest first. Change what you receive from a project&apos;s
        page, or see your subscriptions under Settings.
      </Text>
      {markRead.isError && markRead.variables?.length === 0 && (
        <ErrorAlert error={markRead.error} title="Could not mark them read" />
      )}
      <NotificationList unreadOnly={unreadOnly} />
    </Stack>
  );
}
