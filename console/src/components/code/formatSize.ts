// formatSize writes a byte count for people: "812 B", "4.2 KiB", "3.0 MiB".
export function formatSize(bytes: bigint | number): string {
  const n = Number(bytes);
  if (n < 1024) {
    return `${n} B`;
  }
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}
