import type { ReactNode } from "react";

// ExtrasRow holds what renderLineExtras returned for a line (e.g. its
// comments), in a row beneath it.
export function ExtrasRow({ children, colSpan }: { children: ReactNode; colSpan: number }) {
  return (
    <tr data-extras>
      <td colSpan={colSpan} style={{ padding: 8, whiteSpace: "normal", fontFamily: "var(--mantine-font-family)" }}>
        {children}
      </td>
    </tr>
  );
}
