import { create } from "@bufbuild/protobuf";
import { DurationSchema, timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  WebhookDeliverySchema,
  WebhookSchema,
  type CreateWebhookRequest,
  type DeleteWebhookRequest,
  type ListWebhookDeliveriesRequest,
  type RedeliverWebhookRequest,
  type SetWebhookActiveRequest,
  type Webhook,
  type WebhookDelivery,
} from "../gen/hearth/v1/webhook_pb";

export function webhook(id: string, url: string, fields: Partial<Omit<Webhook, "$typeName">> = {}): Webhook {
  return create(WebhookSchema, {
    id,
    url,
    active: true,
    createdBy: "ada",
    createTime: timestampFromDate(new Date("2026-11-01T12:00:00Z")),
    ...fields,
  });
}

export function delivery(
  id: string,
  eventType: string,
  fields: Partial<Omit<WebhookDelivery, "$typeName" | "lastDuration">> & { ms?: number; minutesAgo?: number } = {},
): WebhookDelivery {
  const { ms = 120, minutesAgo = 10, ...rest } = fields;
  return create(WebhookDeliverySchema, {
    id,
    eventId: `e-${id}`,
    eventType,
    state: "succeeded",
    attempts: 1,
    lastStatus: 200,
    lastDuration: create(DurationSchema, { seconds: BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 }),
    createTime: timestampFromDate(new Date(Date.now() - minutesAgo * 60_000)),
    ...rest,
  });
}

// webhookServer answers WebhookService from memory for one scope: the
// webhooks, each one's deliveries (two to a page), and every request it
// was sent.
export function webhookServer(initial: Webhook[], deliveries: Record<string, WebhookDelivery[]> = {}) {
  let hooks = [...initial];
  const log = new Map(Object.entries(deliveries));
  const creates: CreateWebhookRequest[] = [];
  const actives: SetWebhookActiveRequest[] = [];
  const deletes: DeleteWebhookRequest[] = [];
  const listsOfDeliveries: ListWebhookDeliveriesRequest[] = [];
  const redelivers: RedeliverWebhookRequest[] = [];
  const owners: string[] = [];
  let next = 1;
  const handlers = {
    listWebhooks: (req: { owner: string; name: string }) => {
      owners.push(`${req.owner}/${req.name}`);
      return { webhooks: hooks };
    },
    createWebhook: (req: CreateWebhookRequest) => {
      creates.push(req);
      const w = webhook(`w-new-${next++}`, req.url, { events: req.events });
      hooks = [...hooks, w];
      return { webhook: w, secret: req.secret || "whsec-4f1c0e9a7b3d2c1e0f9a8b7c6d5e4f3a" };
    },
    setWebhookActive: (req: SetWebhookActiveRequest) => {
      actives.push(req);
      const saved = hooks.find((w) => w.id === req.id);
      const updated = saved && { ...saved, active: req.active, disabledReason: "", consecutiveFailures: req.active ? 0 : saved.consecutiveFailures };
      hooks = hooks.map((w) => (w.id === req.id && updated ? updated : w));
      return { webhook: updated };
    },
    deleteWebhook: (req: DeleteWebhookRequest) => {
      deletes.push(req);
      hooks = hooks.filter((w) => w.id !== req.id);
      return {};
    },
    listWebhookDeliveries: (req: ListWebhookDeliveriesRequest) => {
      listsOfDeliveries.push(req);
      const all = log.get(req.id) ?? [];
      const start = req.pageToken ? Number(req.pageToken) : 0;
      const end = start + 2;
      return { deliveries: all.slice(start, end), nextPageToken: end < all.length ? String(end) : "" };
    },
    redeliverWebhook: (req: RedeliverWebhookRequest) => {
      redelivers.push(req);
      const old = (log.get(req.id) ?? []).find((d) => d.id === req.deliveryId);
      const id = `d-re-${next++}`;
      log.set(req.id, [
        delivery(id, old?.eventType ?? "?", { state: "pending", attempts: 0, lastStatus: 0, redeliveryOf: req.deliveryId, minutesAgo: 0 }),
        ...(log.get(req.id) ?? []),
      ]);
      return { deliveryId: id };
    },
  };
  return { handlers, creates, actives, deletes, listsOfDeliveries, redelivers, owners };
}
