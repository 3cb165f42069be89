import { useMemo } from "react";
import { useClient } from "../../api/useClient";
import {
  WebhookService,
  type CreateWebhookResponse,
  type ListWebhookDeliveriesResponse,
  type Webhook,
} from "../../gen/hearth/v1/webhook_pb";
import { paths, projectPath } from "../../routes/paths";

export interface NewWebhook {
  url: string;
  // Empty: every event type.
  events: string[];
  // Empty: the server makes one up.
  secret: string;
}

// WebhookScope is whose webhooks a page shows (a project's, the
// installation's) as the shared webhook components see it: the calls of
// WebhookService for that scope, where its pages are and the words that
// name it.
export interface WebhookScope {
  // The list's query key; a webhook's deliveries are under it.
  queryKey: readonly unknown[];
  // The scope in words, for sentences: "this project", "the installation".
  where: string;
  // The console path of the list, and of a webhook's delivery log.
  listPath: string;
  deliveriesPath(id: string): string;
  list(signal?: AbortSignal): Promise<Webhook[]>;
  // create answers the webhook and its signing secret (shown once).
  create(input: NewWebhook): Promise<CreateWebhookResponse>;
  setActive(id: string, active: boolean): Promise<Webhook | undefined>;
  remove(id: string): Promise<void>;
  deliveries(id: string, pageToken: string, signal?: AbortSignal): Promise<ListWebhookDeliveriesResponse>;
  // redeliver queues a delivery's payload again and answers the new
  // delivery's id.
  redeliver(id: string, deliveryId: string): Promise<string>;
}

export const deliveryPageSize = 50;

export function projectWebhooksKey(owner: string, name: string) {
  return ["webhooks", "project", owner.toLowerCase(), name.toLowerCase()] as const;
}

export const instanceWebhooksKey = ["webhooks", "instance"] as const;

// webhookDeliveriesKey is the query key of one webhook's delivery log.
export function webhookDeliveriesKey(scope: WebhookScope, id: string) {
  return [...scope.queryKey, id, "deliveries"] as const;
}

type Client = ReturnType<typeof useClient<typeof WebhookService>>;

// scopeOf is the calls for owner/name; both empty: the installation.
function scopeOf(
  hooks: Client,
  owner: string,
  name: string,
  rest: Pick<WebhookScope, "queryKey" | "where" | "listPath" | "deliveriesPath">,
): WebhookScope {
  return {
    ...rest,
    list: (signal) => hooks.listWebhooks({ owner, name }, { signal }).then((r) => r.webhooks),
    create: (input) => hooks.createWebhook({ owner, name, url: input.url, events: input.events, secret: input.secret }),
    setActive: (id, active) => hooks.setWebhookActive({ owner, name, id, active }).then((r) => r.webhook),
    remove: (id) => hooks.deleteWebhook({ owner, name, id }).then(() => undefined),
    deliveries: (id, pageToken, signal) =>
      hooks.listWebhookDeliveries({ owner, name, id, pageSize: deliveryPageSize, pageToken }, { signal }),
    redeliver: (id, deliveryId) => hooks.redeliverWebhook({ owner, name, id, deliveryId }).then((r) => r.deliveryId),
  };
}

// useProjectWebhookScope is a project's webhooks.
export function useProjectWebhookScope(owner: string, name: string): WebhookScope {
  const hooks = useClient(WebhookService);
  return useMemo(
    () =>
      scopeOf(hooks, owner, name, {
        queryKey: projectWebhooksKey(owner, name),
        where: "this project",
        listPath: projectPath(owner, name, "settings/webhooks"),
        deliveriesPath: (id) => projectPath(owner, name, `settings/webhooks/${encodeURIComponent(id)}`),
      }),
    [hooks, owner, name],
  );
}

// useInstanceWebhookScope is the installation's webhooks, which receive
// the events of every project.
export function useInstanceWebhookScope(): WebhookScope {
  const hooks = useClient(WebhookService);
  return useMemo(
    () =>
      scopeOf(hooks, "", "", {
        queryKey: instanceWebhooksKey,
        where: "the installation",
        listPath: `${paths.admin}/webhooks`,
        deliveriesPath: (id) => `${paths.admin}/webhooks/${encodeURIComponent(id)}`,
      }),
    [hooks],
  );
}
