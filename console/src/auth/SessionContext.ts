import { createContext } from "react";
import type { User } from "../gen/hearth/v1/auth_pb";

export type SessionStatus = "loading" | "signed-out" | "signed-in";

export interface Session {
  status: SessionStatus;
  // The signed-in user (status "signed-in").
  user: User | null;
  // Installation-wide permissions of the user, e.g. "admin:users".
  permissions: string[];
  // The session could not be checked (the server is unreachable).
  error: unknown;
  signIn(username: string, password: string): Promise<User>;
  signOut(): Promise<void>;
  // refresh re-reads the user (after a password change).
  refresh(): Promise<void>;
}

export const SessionContext = createContext<Session | null>(null);
