import type { DescService } from "@bufbuild/protobuf";
import { createClient, type Client } from "@connectrpc/connect";
import { useContext, useMemo } from "react";
import { TransportContext } from "./TransportContext";

// useClient returns a typed client for a service over the app's transport.
export function useClient<T extends DescService>(service: T): Client<T> {
  const transport = useContext(TransportContext);
  if (!transport) {
    throw new Error("useClient outside a TransportContext provider");
  }
  return useMemo(() => createClient(service, transport), [service, transport]);
}
