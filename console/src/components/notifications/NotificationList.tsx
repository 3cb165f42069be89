import { Anchor, Badge, Box, Button, Center, Group, Paper, Stack, Text, VisuallyHidden } from "@mantine/core";
import { Link } from "react-router";
import type { Notification } from "../../gen/hearth/v1/notification_pb";
import { EmptyState } from "../EmptyState";
import { ErrorAlert } from "../ErrorAlert";
import { ListSkeleton } from "../ListSkeleton";
import { isoTime } from "../issues/formatTime";
import { absoluteTime, relativeTime } from "../pipelines/format";
import { eventLabel } from "./eventTypes";
import { consolePath, isUnread, reasonLabel } from "./notificationText";
import { useMarkRead, useNotificationList } from "./useNotifications";

// NotificationList pages through the caller's notifications (only the
// unread ones with unreadOnly). Opening one or its Mark read button marks
// it read.
export function NotificationList({ unreadOnly }: { unreadOnly: boolean }) {
  const query = useNotificationList(unreadOnly);
  const markRead = useMarkRead();
  if (query.isPending) {
    return <ListSkeleton label="Loading notifications" rowHeight={56} />;
  }
  if (!query.data) {
    return <ErrorAlert error={query.error} title="Could not load your notifications" onRetry={() => void query.refetch()} />;
  }
  const list = query.data.pages.flatMap((p) => p.notifications);
  if (list.length === 0) {
    return unreadOnly ? (
      <EmptyState title="All caught up">No unread notifications.</EmptyState>
    ) : (
      <EmptyState title="No notifications yet">
        Failed pipelines, reviews asked of you, mentions and what happens in projects you watch show up here.
      </EmptyState>
    );
  }
  return (
    <Stack gap="sm" aria-busy={query.isPlaceholderData}>
      {markRead.isError && <ErrorAlert error={markRead.error} title="Could not mark it read" />}
      <Stack component="ul" gap="xs" p={0} m={0} style={{ listStyle: "none" }} aria-label="Notifications">
        {list.map((n) => (
          <NotificationRow
            key={n.id}
            notification={n}
            marking={markRead.isPending && markRead.variables?.includes(n.id)}
            onRead={() => markRead.mutate([n.id])}
          />
        ))}
      </Stack>
      {query.isFetchNextPageError && <ErrorAlert error={query.error} title="Could not load more notifications" />}
      {query.hasNextPage && (
        <Center>
          <Button variant="default" loading={query.isFetchingNextPage} onClick={() => void query.fetchNextPage()}>
            Load more
          </Button>
        </Center>
      )}
    </Stack>
  );
}

interface RowProps {
  notification: Notification;
  marking?: boolean;
  onRead(): void;
}

function NotificationRow({ notification: n, marking, onRead }: RowProps) {
  const unread = isUnread(n);
  const to = consolePath(n);
  const title = (
    <>
      {unread && <VisuallyHidden>Unread: </VisuallyHidden>}
      {n.title}
    </>
  );
  return (
    <Paper component="li" withBorder p="sm" radius="md" aria-label={n.title} bg={unread ? "var(--mantine-primary-color-light)" : undefined}>
      <Group wrap="nowrap" align="flex-start" gap="sm">
        <Box w={8} h={8} mt={7} bg={unread ? "orange.6" : "transparent"} style={{ borderRadius: "50%", flex: "none" }} aria-hidden />
        <Stack gap={4} style={{ flex: 1, minWidth: 0 }}>
          {to ? (
            <Anchor component={Link} to={to} fw={unread ? 600 : 400} c="inherit" style={{ wordBreak: "break-word" }} onClick={() => unread && onRead()}>
              {title}
            </Anchor>
          ) : (
            <Text fw={unread ? 600 : 400} style={{ wordBreak: "break-word" }}>
              {title}
            </Text>
          )}
          <Group gap={6} wrap="wrap">
            <Badge size="sm" variant="light" color="gray" tt="none">
              {eventLabel(n.type)}
            </Badge>
            {n.reason && (
              <Text size="xs" c="dimmed">
                {reasonLabel(n.reason)}
              </Text>
            )}
            <Text size="xs" c="dimmed">
              {n.actor ? `${n.actor} · ` : ""}
              <time dateTime={isoTime(n.createTime)} title={absoluteTime(n.createTime)}>
                {relativeTime(n.createTime)}
              </time>
            </Text>
          </Group>
        </Stack>
        {unread && (
          <Button size="compact-sm" variant="subtle" loading={marking} onClick={onRead} aria-label={`Mark read: ${n.title}`}>
            Mark read
          </Button>
        )}
      </Group>
    </Paper>
  );
}
