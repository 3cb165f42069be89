import type { Transport } from "@connectrpc/connect";
import { createContext } from "react";

// TransportContext carries the Connect transport: the real one in the
// app, an in-memory router transport in tests.
export const TransportContext = createContext<Transport | null>(null);
