import { Code } from "@connectrpc/connect";
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { errorCode } from "../../api/errors";
import { useClient } from "../../api/useClient";
import { sessionKey } from "../../auth/sessionKey";
import { ObserveService, type LogRecord, type TailLogsResponse } from "../../gen/hearth/v1/observe_pb";
import { logFiltersKey, logMatch, type LogFilters } from "./logFilters";
import { followTail, tailReceive, tailStart, type TailState, type TailStatus } from "./logTail";

// How long arriving records wait to be shown together: a busy service
// sends many small messages, and the list re-renders once per batch.
export const tailFlushMs = 100;

export interface LogTail extends TailState {
  status: TailStatus;
  error: unknown;
}

// useLogTail follows new records matching filters (TailLogs) from mount to
// unmount, on top of seed, keeping at most tailCap of them. Changing the
// filters starts over.
export function useLogTail(owner: string, name: string, filters: LogFilters, seed: LogRecord[]): LogTail {
  const client = useClient(ObserveService);
  const queryClient = useQueryClient();
  const key = logFiltersKey(filters);
  const [tail, setTail] = useState<TailState>(() => tailStart(seed));
  const [status, setStatus] = useState<{ status: TailStatus; error: unknown }>({ status: "connecting", error: null });
  // The newest filters and seed, read when the stream (re)starts.
  const latest = useRef({ filters, seed });
  useEffect(() => {
    latest.current = { filters, seed };
  });

  useEffect(() => {
    const ctrl = new AbortController();
    let pending: TailLogsResponse[] = [];
    let timer: ReturnType<typeof setTimeout> | null = null;
    const flush = () => {
      timer = null;
      const batch = pending;
      pending = [];
      setTail((prev) => tailReceive(prev, batch));
    };
    setTail(tailStart(latest.current.seed));
    void followTail(client, { owner, name, ...logMatch(latest.current.filters) }, ctrl.signal, {
      onLogs(msg) {
        pending.push(msg);
        timer ??= setTimeout(flush, tailFlushMs);
      },
      onStatus(s, err) {
        if (err !== undefined && errorCode(err) === Code.Unauthenticated) {
          void queryClient.invalidateQueries({ queryKey: sessionKey });
        }
        setStatus({ status: s, error: err ?? null });
      },
    });
    return () => {
      ctrl.abort();
      if (timer) {
        clearTimeout(timer);
      }
    };
  }, [client, queryClient, owner, name, key]);

  return { ...tail, ...status };
}
