// HunkHeaderRow is a hunk's "@@ -a,b +c,d @@" line across the table.
export function HunkHeaderRow({ header, colSpan }: { header: string; colSpan: number }) {
  return (
    <tr>
      <td
        colSpan={colSpan}
        style={{
          padding: "2px 8px",
          whiteSpace: "pre",
          color: "var(--mantine-color-dimmed)",
          background: "var(--mantine-color-blue-light)",
        }}
      >
        {header}
      </td>
    </tr>
  );
}
