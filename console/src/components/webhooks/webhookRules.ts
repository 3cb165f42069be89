import type { Duration } from "@bufbuild/protobuf/wkt";

// What the server accepts (controlplane/internal/notify/webhooks.go),
// checked before sending so the dialog can say it next to the field.
export const maxUrl = 2048;
export const minSecret = 16;
export const maxSecret = 256;

// urlProblem says what is wrong with a webhook URL, or null.
export function urlProblem(raw: string): string | null {
  if (!raw) {
    return null;
  }
  if (raw.length > maxUrl) {
    return `At most ${maxUrl} characters.`;
  }
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return "An absolute http:// or https:// URL.";
  }
  if ((u.protocol !== "http:" && u.protocol !== "https:") || !u.host) {
    return "An absolute http:// or https:// URL.";
  }
  if (u.username || u.password) {
    return "No user or password in the URL: the signature tells the receiver the request is from Hearth.";
  }
  return null;
}

// secretProblem says what is wrong with a chosen signing secret, or null
// (empty is fine: the server makes one up).
export function secretProblem(secret: string): string | null {
  if (!secret) {
    return null;
  }
  if (secret.length < minSecret || secret.length > maxSecret) {
    return `${minSecret} to ${maxSecret} characters, or leave it empty for a random one.`;
  }
  return null;
}

// durationMs is a protobuf duration in milliseconds (undefined when unset).
export function durationMs(d: Duration | undefined): number | undefined {
  return d ? Number(d.seconds) * 1000 + d.nanos / 1e6 : undefined;
}

// responseTime: "85 ms", "1.3 s"; "—" when there was none.
export function responseTime(d: Duration | undefined): string {
  const ms = durationMs(d);
  if (ms === undefined) {
    return "—";
  }
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

// statusText: the last attempt's HTTP status, "No answer" when it got none.
export function statusText(status: number, attempts: number): string {
  if (attempts === 0) {
    return "—";
  }
  return status === 0 ? "No answer" : String(status);
}
