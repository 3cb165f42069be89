// OTLP severity numbers come in six levels of four (1-4 trace, 5-8 debug,
// 9-12 info, 13-16 warn, 17-20 error, 21-24 fatal; 0 unspecified).
export const severityLevels = [
  { value: "trace", label: "Trace", min: 1, color: "gray" },
  { value: "debug", label: "Debug", min: 5, color: "cyan" },
  { value: "info", label: "Info", min: 9, color: "blue" },
  { value: "warn", label: "Warn", min: 13, color: "yellow" },
  { value: "error", label: "Error", min: 17, color: "red" },
  { value: "fatal", label: "Fatal", min: 21, color: "grape" },
] as const;

export type SeverityLevel = (typeof severityLevels)[number];
export type SeverityValue = SeverityLevel["value"];

// severityLevel is the level of a severity number (undefined for 0).
export function severityLevel(n: number): SeverityLevel | undefined {
  if (n < 1) {
    return undefined;
  }
  let found: SeverityLevel = severityLevels[0];
  for (const level of severityLevels) {
    if (n >= level.min) {
      found = level;
    }
  }
  return found;
}

// minSeverity is the lowest severity number of a level ("" is 0: all).
export function minSeverity(value: string): number {
  return severityLevels.find((l) => l.value === value)?.min ?? 0;
}

export function isSeverityValue(value: string): value is SeverityValue {
  return severityLevels.some((l) => l.value === value);
}
