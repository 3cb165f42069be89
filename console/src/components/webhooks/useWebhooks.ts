import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { webhookDeliveriesKey, type WebhookScope } from "./webhookScope";

// useWebhooks lists a scope's webhooks (never their secrets).
export function useWebhooks(scope: WebhookScope) {
  return useQuery({
    queryKey: scope.queryKey,
    queryFn: ({ signal }) => scope.list(signal),
  });
}

// How often a delivery log with pending deliveries is read again.
const pendingRefresh = 5_000;

// useWebhookDeliveries pages through a webhook's delivery log, newest
// first, reading it again while deliveries are pending.
export function useWebhookDeliveries(scope: WebhookScope, id: string) {
  return useInfiniteQuery({
    queryKey: webhookDeliveriesKey(scope, id),
    queryFn: ({ pageParam, signal }) => scope.deliveries(id, pageParam, signal),
    initialPageParam: "",
    getNextPageParam: (last) => last.nextPageToken || undefined,
    refetchInterval: (query) =>
      query.state.data?.pages.some((p) => p.deliveries.some((d) => d.state === "pending")) ? pendingRefresh : false,
  });
}
