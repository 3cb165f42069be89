// Attribute and label filters are written "key=value" (the API's form):
// the key may not be empty; the value may (an empty attribute) and may
// itself hold "=".

export function isKeyValue(s: string): boolean {
  const i = s.indexOf("=");
  return i > 0 && s.slice(0, i).trim() !== "";
}

// cleanKeyValues trims each filter and keeps the well-formed ones, once each.
export function cleanKeyValues(values: string[]): string[] {
  const out: string[] = [];
  for (const v of values) {
    const t = v.trim();
    if (isKeyValue(t) && !out.includes(t)) {
      out.push(t);
    }
  }
  return out;
}
