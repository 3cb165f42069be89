import type { Transport } from "@connectrpc/connect";
import { MantineProvider } from "@mantine/core";
import { Notifications } from "@mantine/notifications";
import { QueryClientProvider, type QueryClient } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { TransportContext } from "./api/TransportContext";
import { SessionProvider } from "./auth/SessionProvider";
import { colorSchemeManager, theme } from "./theme/theme";

interface Props {
  transport: Transport;
  queryClient: QueryClient;
  children: ReactNode;
}

// AppProviders is everything a page needs around it: theme, notifications,
// the API transport, the query cache and the session. Tests use it too,
// with an in-memory transport.
export function AppProviders({ transport, queryClient, children }: Props) {
  return (
    <MantineProvider theme={theme} colorSchemeManager={colorSchemeManager} defaultColorScheme="auto">
      <Notifications position="top-right" />
      <TransportContext.Provider value={transport}>
        <QueryClientProvider client={queryClient}>
          <SessionProvider>{children}</SessionProvider>
        </QueryClientProvider>
      </TransportContext.Provider>
    </MantineProvider>
  );
}
