import { Text } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useClient } from "../../api/useClient";
import { useSession } from "../../auth/useSession";
import { UserService } from "../../gen/hearth/v1/user_pb";

interface Props {
  userId: string;
  event: string;
}

// TriggeredBy names who started a pipeline: "you", a username where the
// viewer may look users up (admins), else a short id; schedules have none.
export function TriggeredBy({ userId, event }: Props) {
  const session = useSession();
  const users = useClient(UserService);
  const me = session.user?.id === userId;
  const canLookUp = session.permissions.includes("admin:users");
  const user = useQuery({
    queryKey: ["user", userId],
    queryFn: ({ signal }) => users.getUser({ id: userId }, { signal }).then((res) => res.user),
    enabled: userId !== "" && !me && canLookUp,
    staleTime: Infinity,
  });
  if (!userId) {
    return (
      <Text span size="sm" c="dimmed">
        {event === "schedule" ? "schedule" : "—"}
      </Text>
    );
  }
  if (me) {
    return (
      <Text span size="sm" title={session.user?.username}>
        you
      </Text>
    );
  }
  const name = user.data?.username;
  return (
    <Text span size="sm" title={userId} ff={name ? undefined : "monospace"}>
      {name ?? userId.slice(0, 8)}
    </Text>
  );
}
