import { Code, ConnectError } from "@connectrpc/connect";

// What a failed call means to a person, by Connect code. The server's own
// message follows when it says more than the code (hearth's messages are
// written for users; internal errors carry only a request id).
const text: Partial<Record<Code, string>> = {
  [Code.Unauthenticated]: "You are not signed in, or your session has ended. Sign in again.",
  [Code.PermissionDenied]: "You do not have permission to do this.",
  [Code.NotFound]: "It does not exist, or you cannot see it.",
  [Code.AlreadyExists]: "Something with that name already exists.",
  [Code.InvalidArgument]: "Some of the values are not valid.",
  [Code.FailedPrecondition]: "This cannot be done in the current state.",
  [Code.ResourceExhausted]: "Too many requests. Wait a moment and try again.",
  [Code.Unavailable]: "Hearth cannot be reached right now. Check your connection and try again.",
  [Code.DeadlineExceeded]: "Hearth took too long to answer. Try again.",
  [Code.Canceled]: "The request was cancelled.",
  [Code.Aborted]: "Someone else changed this at the same time. Reload and try again.",
  [Code.Unimplemented]: "This server does not support that yet.",
  [Code.Internal]: "Something went wrong on the server.",
  [Code.Unknown]: "Something went wrong.",
};

export interface HumanError {
  title: string;
  detail?: string;
  code: Code;
}

// describeError turns any thrown value into a title and optional detail.
export function describeError(err: unknown): HumanError {
  const ce = ConnectError.from(err);
  const title = text[ce.code] ?? "Something went wrong.";
  const detail = ce.rawMessage.trim();
  // A network failure surfaces as Unknown/Unavailable with the browser's
  // own message ("Failed to fetch"), which says nothing more.
  if (!detail || /^(failed to fetch|load failed|networkerror)/i.test(detail)) {
    return { title, code: ce.code };
  }
  return { title, detail, code: ce.code };
}

// errorCode is the Connect code of a thrown value.
export function errorCode(err: unknown): Code {
  return ConnectError.from(err).code;
}
