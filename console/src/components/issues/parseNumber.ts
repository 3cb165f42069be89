// parseNumber reads an issue or merge request number from the URL (null
// when it is not a whole number from 1).
export function parseNumber(raw: string | undefined): bigint | null {
  return raw && /^[1-9]\d{0,17}$/.test(raw) ? BigInt(raw) : null;
}
