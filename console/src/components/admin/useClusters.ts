import { useQuery } from "@tanstack/react-query";
import { useClient } from "../../api/useClient";
import { ClusterService } from "../../gen/hearth/v1/cluster_pb";

export const clustersKey = ["admin", "clusters"] as const;

export function agentsKey(clusterId: string) {
  return [...clustersKey, clusterId, "agents"] as const;
}

export function joinTokensKey(clusterId: string) {
  return [...clustersKey, clusterId, "join-tokens"] as const;
}

// useClusters lists every cluster.
export function useClusters() {
  const clusters = useClient(ClusterService);
  return useQuery({
    queryKey: clustersKey,
    queryFn: ({ signal }) => clusters.listClusters({}, { signal }).then((res) => res.clusters),
  });
}

// useAgents lists a cluster's agents, refreshed every half minute so their
// status stays current.
export function useAgents(clusterId: string) {
  const clusters = useClient(ClusterService);
  return useQuery({
    queryKey: agentsKey(clusterId),
    queryFn: ({ signal }) => clusters.listAgents({ clusterId }, { signal }).then((res) => res.agents),
    refetchInterval: 30_000,
  });
}

// useJoinTokens lists a cluster's join tokens.
export function useJoinTokens(clusterId: string) {
  const clusters = useClient(ClusterService);
  return useQuery({
    queryKey: joinTokensKey(clusterId),
    queryFn: ({ signal }) => clusters.listJoinTokens({ clusterId }, { signal }).then((res) => res.tokens),
  });
}
