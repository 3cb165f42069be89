import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useClient } from "../../api/useClient";
import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { NotificationService, SubscriptionSchema, type Subscription } from "../../gen/hearth/v1/notification_pb";
import { subscriptionsKey } from "./notificationKeys";

// useSubscriptions lists the levels the caller set on projects and
// threads. It changes only through the console, so it is not asked for
// again on every page.
export function useSubscriptions() {
  const client = useClient(NotificationService);
  return useQuery({
    queryKey: subscriptionsKey,
    queryFn: ({ signal }) => client.listSubscriptions({}, { signal }).then((r) => r.subscriptions),
    staleTime: 60_000,
  });
}

// projectLevel is the level set on a whole project ("" when none is).
export function projectLevel(subscriptions: readonly Subscription[] | undefined, projectId: string): string {
  return subscriptions?.find((s) => s.projectId === projectId && s.subject === "")?.level ?? "";
}

export interface SetLevel {
  // The project's id, to show the new level before the list is read again.
  projectId: string;
  owner: string;
  name: string;
  // "" for the whole project, "#12" or "!3" for a thread.
  subject?: string;
  // "" resets to the default.
  level: string;
}

// useSetSubscription sets the caller's level on a project or thread.
export function useSetSubscription() {
  const client = useClient(NotificationService);
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (req: SetLevel) => client.setSubscription({ owner: req.owner, name: req.name, subject: req.subject ?? "", level: req.level }),
    onSuccess: (_res, req) => {
      const subject = req.subject ?? "";
      queryClient.setQueryData<Subscription[]>(subscriptionsKey, (old) => {
        if (!old) {
          return old;
        }
        const rest = old.filter((s) => s.projectId !== req.projectId || s.subject !== subject);
        return req.level ? [...rest, create(SubscriptionSchema, { projectId: req.projectId, subject, level: req.level, updateTime: timestampNow() })] : rest;
      });
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: subscriptionsKey }),
  });
}
