import { Code } from "@connectrpc/connect";
import { useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { useCallback, useMemo, type ReactNode } from "react";
import { getCsrfToken, setCsrfToken } from "../api/csrf";
import { errorCode } from "../api/errors";
import { useClient } from "../api/useClient";
import { AuthService, type User } from "../gen/hearth/v1/auth_pb";
import { SessionContext, type Session } from "./SessionContext";
import { sessionKey } from "./sessionKey";

function forgetAllButSession(queryClient: QueryClient) {
  queryClient.removeQueries({ predicate: (q) => q.queryKey[0] !== sessionKey[0] });
}

interface Me {
  user: User;
  permissions: string[];
}

// SessionProvider knows who is signed in. A session is the HttpOnly cookie
// Login sets plus the CSRF token it returns; without the token mutations
// would fail, so a cookie alone counts as signed out (signing in again
// starts a fresh session).
export function SessionProvider({ children }: { children: ReactNode }) {
  const auth = useClient(AuthService);
  const queryClient = useQueryClient();

  const me = useQuery({
    queryKey: sessionKey,
    queryFn: async (): Promise<Me | null> => {
      if (!getCsrfToken()) {
        return null;
      }
      try {
        const res = await auth.getMe({});
        return res.user ? { user: res.user, permissions: res.permissions } : null;
      } catch (err) {
        if (errorCode(err) === Code.Unauthenticated) {
          setCsrfToken(null);
          return null;
        }
        throw err;
      }
    },
    staleTime: 5 * 60_000,
  });

  const signIn = useCallback(
    async (username: string, password: string) => {
      const res = await auth.login({ username, password });
      if (!res.user) {
        throw new Error("the server answered without a user");
      }
      setCsrfToken(res.csrfToken);
      // Nothing cached for a previous user may show. (The session query
      // itself stays: its observer above must keep seeing it.)
      forgetAllButSession(queryClient);
      const signedIn: Me = { user: res.user, permissions: [] };
      queryClient.setQueryData(sessionKey, signedIn);
      void queryClient.invalidateQueries({ queryKey: sessionKey });
      return res.user;
    },
    [auth, queryClient],
  );

  const signOut = useCallback(async () => {
    try {
      await auth.logout({});
    } catch {
      // Already ended or unreachable: forget it here all the same.
    }
    setCsrfToken(null);
    forgetAllButSession(queryClient);
    queryClient.setQueryData(sessionKey, null);
  }, [auth, queryClient]);

  const refresh = useCallback(async () => {
    await queryClient.invalidateQueries({ queryKey: sessionKey });
  }, [queryClient]);

  const value = useMemo<Session>(() => {
    const data = me.data;
    let status: Session["status"] = "loading";
    if (data) {
      status = "signed-in";
    } else if (data === null || me.isError) {
      status = "signed-out";
    }
    return {
      status,
      user: data?.user ?? null,
      permissions: data?.permissions ?? [],
      error: me.error,
      signIn,
      signOut,
      refresh,
    };
  }, [me.data, me.isError, me.error, signIn, signOut, refresh]);

  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}
