import { createRouterTransport, type ConnectRouter } from "@connectrpc/connect";
import { render } from "@testing-library/react";
import { createMemoryRouter, RouterProvider } from "react-router";
import { createQueryClient } from "../api/queryClient";
import { csrfInterceptor } from "../api/transport";
import { AppProviders } from "../AppProviders";
import { routes } from "../routes/routes";

// renderApp renders the whole console at path, its API answered in memory
// by the handlers api registers (a real Connect router: requests and
// responses go through the same interceptors and serialisation as in the
// browser). Unregistered RPCs answer Unimplemented.
export function renderApp(path: string, api: (router: ConnectRouter) => void) {
  const transport = createRouterTransport(api, { transport: { interceptors: [csrfInterceptor] } });
  const router = createMemoryRouter(routes, { initialEntries: [path] });
  const utils = render(
    <AppProviders transport={transport} queryClient={createQueryClient({ retry: false })}>
      <RouterProvider router={router} />
    </AppProviders>,
  );
  return { ...utils, router };
}
