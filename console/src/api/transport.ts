import type { Interceptor, Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { getCsrfToken } from "./csrf";

// The header hearth checks on mutations a session cookie authenticates
// (controlplane/internal/server/authz.go).
export const csrfHeader = "X-CSRF-Token";

// csrfInterceptor adds the session's CSRF token to every call that may
// change something (reads, declared NO_SIDE_EFFECTS in the protos, need
// none).
export const csrfInterceptor: Interceptor = (next) => async (req) => {
  if (req.method.idempotency !== MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS) {
    const token = getCsrfToken();
    if (token) {
      req.header.set(csrfHeader, token);
    }
  }
  return next(req);
};

// sameOriginFetch sends the session cookie with every call. The console is
// served by hearth itself (or proxied to it by the Vite dev server), so the
// API is always same-origin and hearth allows no cross-origin calls.
const sameOriginFetch: typeof fetch = (input, init) =>
  globalThis.fetch(input, { ...init, credentials: "same-origin" });

// createTransport speaks the Connect protocol (JSON) to hearth at baseUrl
// (default: the page's origin).
export function createTransport(baseUrl: string = window.location.origin): Transport {
  return createConnectTransport({
    baseUrl,
    fetch: sameOriginFetch,
    interceptors: [csrfInterceptor],
  });
}
