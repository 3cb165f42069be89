import { useQuery } from "@tanstack/react-query";
import type { SecretScope } from "./secretScope";

// useSecrets lists a scope's secrets (their metadata: no values).
export function useSecrets(scope: SecretScope) {
  return useQuery({
    queryKey: scope.queryKey,
    queryFn: ({ signal }) => scope.list(signal),
  });
}
