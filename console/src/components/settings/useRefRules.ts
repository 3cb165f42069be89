import { useQuery } from "@tanstack/react-query";
import { useClient } from "../../api/useClient";
import { RefRuleService } from "../../gen/hearth/v1/refrule_pb";

export function refRulesKey(owner: string, name: string) {
  return ["protected-refs", owner.toLowerCase(), name.toLowerCase()] as const;
}

// useRefRules lists a project's protected branch and tag rules.
export function useRefRules(owner: string, name: string) {
  const rules = useClient(RefRuleService);
  return useQuery({
    queryKey: refRulesKey(owner, name),
    queryFn: ({ signal }) => rules.listProtectedRefs({ owner, name }, { signal }).then((r) => r.rules),
  });
}
