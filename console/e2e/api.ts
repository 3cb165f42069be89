import type { DescService } from "@bufbuild/protobuf";
import { createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";

// The API as a signed-in user, from Node: the console's own generated
// clients over Connect (JSON), with the session cookie and CSRF token a
// browser would send.
export interface ApiSession {
  client<T extends DescService>(service: T): Client<T>;
}

export async function apiLogin(baseURL: string, username: string, password: string): Promise<ApiSession> {
  const res = await fetch(`${baseURL}/hearth.v1.AuthService/Login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
  if (!res.ok) {
    throw new Error(`login as ${username}: ${res.status} ${await res.text()}`);
  }
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  const session: Interceptor = (next) => (req) => {
    req.header.set("Cookie", cookie);
    req.header.set("X-CSRF-Token", csrfToken);
    return next(req);
  };
  const transport = createConnectTransport({ baseUrl: baseURL, interceptors: [session] });
  return { client: (service) => createClient(service, transport) };
}
