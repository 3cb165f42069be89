import { useQuery } from "@tanstack/react-query";
import { useClient } from "../../api/useClient";
import { TokenService } from "../../gen/hearth/v1/token_pb";

export const tokensKey = ["tokens"] as const;

// useTokens lists the signed-in user's live tokens.
export function useTokens() {
  const tokens = useClient(TokenService);
  return useQuery({
    queryKey: tokensKey,
    queryFn: ({ signal }) => tokens.listTokens({}, { signal }).then((res) => res.tokens),
  });
}
