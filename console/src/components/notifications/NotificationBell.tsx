import { ActionIcon, Anchor, Box, Button, Divider, Group, Indicator, NavLink, Popover, ScrollArea, Skeleton, Stack, Text, Title, VisuallyHidden } from "@mantine/core";
import { IconBell } from "@tabler/icons-react";
import { useId, useState } from "react";
import { Link } from "react-router";
import { useSession } from "../../auth/useSession";
import type { Notification } from "../../gen/hearth/v1/notification_pb";
import { paths } from "../../routes/paths";
import { ErrorAlert } from "../ErrorAlert";
import { isoTime } from "../issues/formatTime";
import { absoluteTime, relativeTime } from "../pipelines/format";
import { badgeText, consolePath, isUnread } from "./notificationText";
import { useNotificationFeed } from "./useNotificationFeed";
import { useLatestNotifications, useMarkRead } from "./useNotifications";

// NotificationBell is the header's bell: the unread count, kept live by
// the notification stream, and a dropdown of the latest notifications.
// Opening one marks it read.
export function NotificationBell() {
  const session = useSession();
  const feed = useNotificationFeed(session.user?.id ?? "");
  const [opened, setOpened] = useState(false);
  const headingId = useId();
  if (!session.user || !feed.available) {
    return null;
  }
  const unread = feed.unread ?? 0;
  const label = unread > 0 ? `Notifications (${unread} unread)` : "Notifications";
  return (
    <Indicator label={badgeText(unread)} size={16} offset={4} color="red" disabled={unread === 0} zIndex={1}>
      <Popover
        opened={opened}
        onChange={setOpened}
        position="bottom-end"
        width={380}
        shadow="md"
        withinPortal
        trapFocus
        returnFocus
        // The header is fixed: the bell is never scrolled away (and jsdom,
        // which lays nothing out, would count it hidden).
        hideDetached={false}
      >
        <Popover.Target>
          <ActionIcon variant="default" size="lg" aria-label={label} title={label} onClick={() => setOpened((o) => !o)}>
            <IconBell size={18} aria-hidden />
          </ActionIcon>
        </Popover.Target>
        <Popover.Dropdown p={0} maw="calc(100vw - 16px)" aria-labelledby={headingId}>
          {opened && <BellDropdown headingId={headingId} unread={unread} onClose={() => setOpened(false)} />}
        </Popover.Dropdown>
      </Popover>
    </Indicator>
  );
}

function BellDropdown({ headingId, unread, onClose }: { headingId: string; unread: number; onClose(): void }) {
  const latest = useLatestNotifications(true);
  const markRead = useMarkRead();
  return (
    <Stack gap={0}>
      <Group justify="space-between" px="md" py="xs" wrap="nowrap">
        <Title order={2} size="h5" id={headingId}>
          Notifications
        </Title>
        <Button
          size="compact-xs"
          variant="subtle"
          disabled={unread === 0}
          loading={markRead.isPending && markRead.variables?.length === 0}
          onClick={() => markRead.mutate([])}
        >
          Mark all read
        </Button>
      </Group>
      <Divider />
      <ScrollArea.Autosize mah={420} type="auto">
        {latest.isPending ? (
          <Stack gap="xs" p="md" aria-busy="true" aria-label="Loading notifications">
            <Skeleton h={36} />
            <Skeleton h={36} />
          </Stack>
        ) : latest.isError ? (
          <Box p="sm">
            <ErrorAlert error={latest.error} title="Could not load your notifications" onRetry={() => void latest.refetch()} />
          </Box>
        ) : latest.data.length === 0 ? (
          <Text size="sm" c="dimmed" p="md" ta="center">
            Nothing yet. Pipelines, issues and merge requests you take part in or watch show up here.
          </Text>
        ) : (
          <Stack component="ul" gap={0} p={4} m={0} style={{ listStyle: "none" }} aria-label="Latest notifications">
            {latest.data.map((n) => (
              <li key={n.id}>
                <BellItem
                  notification={n}
                  onOpen={() => {
                    if (isUnread(n)) {
                      markRead.mutate([n.id]);
                    }
                    onClose();
                  }}
                />
              </li>
            ))}
          </Stack>
        )}
      </ScrollArea.Autosize>
      {markRead.isError && (
        <Box px="sm" pb="sm">
          <ErrorAlert error={markRead.error} title="Could not mark it read" />
        </Box>
      )}
      <Divider />
      <Group justify="center" p="xs">
        <Anchor component={Link} to={paths.notifications} size="sm" onClick={onClose}>
          All notifications
        </Anchor>
      </Group>
    </Stack>
  );
}

// BellItem is one notification: its title, who did it and when, a dot
// while unread. It leads to what it is about.
function BellItem({ notification: n, onOpen }: { notification: Notification; onOpen(): void }) {
  const unread = isUnread(n);
  const to = consolePath(n);
  const label = (
    <Text size="sm" fw={unread ? 600 : 400} lineClamp={2} component="span" style={{ wordBreak: "break-word" }}>
      {unread && <VisuallyHidden component="span">Unread: </VisuallyHidden>}
      {n.title}
    </Text>
  );
  const description = (
    <Text size="xs" c="dimmed" component="span">
      {n.actor ? `${n.actor} · ` : ""}
      <time dateTime={isoTime(n.createTime)} title={absoluteTime(n.createTime)}>
        {relativeTime(n.createTime)}
      </time>
    </Text>
  );
  const dot = <Box w={8} h={8} bg={unread ? "orange.6" : "transparent"} style={{ borderRadius: "50%" }} aria-hidden />;
  const common = { label, description, leftSection: dot, onClick: onOpen, styles: { section: { alignSelf: "flex-start", marginTop: 6 } } };
  return to ? <NavLink component={Link} to={to} {...common} /> : <NavLink component="button" type="button" {...common} />;
}
