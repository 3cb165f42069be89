import { Code } from "@connectrpc/connect";
import { QueryCache, QueryClient } from "@tanstack/react-query";
import { errorCode } from "./errors";
import { sessionKey } from "../auth/sessionKey";

// createQueryClient: retries only what may succeed on retry, and a call
// answered Unauthenticated (the session ended) re-checks the session, which
// sends the user to the sign-in page.
export function createQueryClient(options: { retry?: boolean } = {}): QueryClient {
  const client: QueryClient = new QueryClient({
    queryCache: new QueryCache({
      onError: (err, query) => {
        if (errorCode(err) === Code.Unauthenticated && query.queryKey[0] !== sessionKey[0]) {
          void client.invalidateQueries({ queryKey: sessionKey });
        }
      },
    }),
    defaultOptions: {
      queries: {
        // Repositories and pipelines change behind the console's back (a
        // git push, an agent): a page shows what it has and refetches
        // whenever it is opened again or the window regains focus.
        staleTime: 0,
        refetchOnWindowFocus: true,
        retry: (failures, err) =>
          options.retry !== false &&
          failures < 2 &&
          [Code.Unavailable, Code.DeadlineExceeded, Code.Unknown].includes(errorCode(err)),
      },
      mutations: { retry: false },
    },
  });
  return client;
}
