// Mantine colour names given to a trace's services in order of
// appearance; more services than colours share them in turn.
export const servicePalette = ["blue", "teal", "grape", "orange", "cyan", "lime", "pink", "indigo", "yellow", "violet"] as const;

export function serviceColor(services: string[], service: string): string {
  const i = services.indexOf(service);
  return servicePalette[(i < 0 ? 0 : i) % servicePalette.length];
}
