import { SecretUsage, type Secret } from "../../gen/hearth/v1/secret_pb";

// The server's rules for a secret (controlplane/internal/secret), checked
// before sending so mistakes show at the field; the server checks again.
export const minValueBytes = 8;
export const maxValueBytes = 64 * 1024;
export const maxDescription = 1000;
const namePattern = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const environmentPattern = /^[a-z0-9]([a-z0-9._/-]{0,62}[a-z0-9])?$/;

// What may receive a secret, in the order the dialog offers them.
export const secretUsages = [
  { value: SecretUsage.PIPELINE, key: "pipeline", label: "Pipelines", help: "Jobs that ask for it under secrets: in .hearth.yml." },
  { value: SecretUsage.AGENT_SESSION, key: "agent_session", label: "Agent sessions", help: "Sessions of AI agents." },
  { value: SecretUsage.DEPLOY, key: "deploy", label: "Deployments", help: "Deployments to environments." },
] as const;

export function usageLabel(u: SecretUsage): string {
  return secretUsages.find((s) => s.value === u)?.label ?? "Unknown";
}

// environmentLabel is a secret's environment, or "all" for none.
export function environmentLabel(environment: string): string {
  return environment || "all";
}

// secretTitle names a secret with its environment, when it has one.
export function secretTitle(s: Pick<Secret, "name" | "environment">): string {
  return s.environment ? `${s.name} (${s.environment})` : s.name;
}

export function valueBytes(value: string): Uint8Array {
  return new TextEncoder().encode(value);
}

export function nameProblem(name: string): string | null {
  if (name === "" || namePattern.test(name)) {
    return null;
  }
  if (name.length > 128) {
    return "At most 128 characters.";
  }
  return "Letters, digits and _ only, not starting with a digit.";
}

export function environmentProblem(environment: string): string | null {
  if (environment === "" || environmentPattern.test(environment)) {
    return null;
  }
  return "Lower-case letters, digits, '.', '_', '-' and '/', starting and ending with a letter or digit; at most 64.";
}

// valueProblem checks a value's size in bytes (UTF-8, as it is sent). An
// empty value is not a problem here: it is required only of a new secret.
export function valueProblem(value: string): string | null {
  if (value === "") {
    return null;
  }
  const n = valueBytes(value).length;
  if (n < minValueBytes) {
    return `Use at least ${minValueBytes} bytes, so that it can be masked in job logs.`;
  }
  if (n > maxValueBytes) {
    return `At most 64 KiB (${maxValueBytes} bytes); this is ${n} bytes.`;
  }
  return null;
}

export function descriptionProblem(description: string): string | null {
  return [...description].length > maxDescription ? `At most ${maxDescription} characters.` : null;
}
