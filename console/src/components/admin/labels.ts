// parseLabels reads "k=v,k=v" (or one per line) into a map, listing what
// it cannot read.
export function parseLabels(text: string): { labels: Record<string, string>; problem: string | null } {
  const labels: Record<string, string> = {};
  for (const part of text.split(/[,\n]/)) {
    const item = part.trim();
    if (!item) {
      continue;
    }
    const eq = item.indexOf("=");
    if (eq <= 0) {
      return { labels, problem: `“${item}” is not key=value.` };
    }
    labels[item.slice(0, eq).trim()] = item.slice(eq + 1).trim();
  }
  return { labels, problem: null };
}

// formatLabels shows a map as "k=v" strings, sorted.
export function formatLabels(labels: Record<string, string>): string[] {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`);
}
