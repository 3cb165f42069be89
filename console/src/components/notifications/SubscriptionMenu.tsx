import { Code } from "@connectrpc/connect";
import { Button, Menu, Stack, Text, VisuallyHidden } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { IconBell, IconBellOff, IconCheck, IconChevronDown, IconEye } from "@tabler/icons-react";
import { describeError, errorCode } from "../../api/errors";
import type { Project } from "../../gen/hearth/v1/project_pb";
import { defaultLevel, levelLabel, subscriptionLevels } from "./subscriptionLevels";
import { projectLevel, useSetSubscription, useSubscriptions } from "./useSubscriptions";

const icons = { watch: IconEye, participate: IconBell, mute: IconBellOff } as const;

// SubscriptionMenu is the project header's notification level: watch,
// participate (the default) or mute, as a button that opens the choices.
export function SubscriptionMenu({ project }: { project: Project }) {
  const subscriptions = useSubscriptions();
  const setLevel = useSetSubscription();
  // An older hearth without notifications: nothing to set.
  if (subscriptions.isPending || (subscriptions.isError && errorCode(subscriptions.error) === Code.Unimplemented)) {
    return null;
  }
  const set = projectLevel(subscriptions.data, project.id);
  const current = set || defaultLevel;
  const Icon = icons[current as keyof typeof icons] ?? IconBell;
  const choose = (level: string) =>
    setLevel.mutate(
      { projectId: project.id, owner: project.owner, name: project.name, level },
      {
        onSuccess: () =>
          notifications.show({
            color: "green",
            message: level
              ? `Notifications of ${project.owner}/${project.name}: ${levelLabel(level)}.`
              : `Notifications of ${project.owner}/${project.name} are back to the default (${levelLabel("")}).`,
          }),
        onError: (err) => {
          const human = describeError(err);
          notifications.show({ color: "red", title: "Could not change the notifications", message: human.detail ?? human.title });
        },
      },
    );
  return (
    <Menu position="bottom-end" withinPortal width={300}>
      <Menu.Target>
        <Button
          variant="default"
          size="xs"
          leftSection={<Icon size={14} aria-hidden />}
          rightSection={<IconChevronDown size={14} aria-hidden />}
          loading={setLevel.isPending}
          aria-label={`Notifications: ${levelLabel(current)}`}
        >
          {levelLabel(current)}
        </Button>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Label>Notifications of this project</Menu.Label>
        {subscriptionLevels.map((l) => (
          <Menu.Item
            key={l.value}
            onClick={() => choose(l.value)}
            leftSection={l.value === current ? <IconCheck size={14} aria-hidden /> : <span style={{ width: 14, display: "inline-block" }} />}
          >
            <Stack gap={0}>
              <Text size="sm">
                {l.label}
                {l.value === defaultLevel && " (default)"}
                {l.value === current && <VisuallyHidden>, current</VisuallyHidden>}
              </Text>
              <Text size="xs" c="dimmed">
                {l.help}
              </Text>
            </Stack>
          </Menu.Item>
        ))}
        {set && (
          <>
            <Menu.Divider />
            <Menu.Item onClick={() => choose("")}>Use the default</Menu.Item>
          </>
        )}
      </Menu.Dropdown>
    </Menu>
  );
}
