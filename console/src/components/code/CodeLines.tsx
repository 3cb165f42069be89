import { useMemo } from "react";
import "./highlight.css";
import { highlightLines } from "./highlight";

interface Props {
  code: string;
  language?: string;
}

// CodeLines shows text with line numbers, coloured by highlight.js when a
// language is given. Each row is #L<n> (the number is not copied with
// the code); long lines scroll sideways.
export function CodeLines({ code, language }: Props) {
  const lines = useMemo(() => highlightLines(code, language), [code, language]);
  return (
    <div style={{ overflowX: "auto" }} className="hearth-code">
      <table
        style={{
          borderCollapse: "collapse",
          width: "100%",
          fontFamily: "var(--mantine-font-family-monospace)",
          fontSize: "var(--mantine-font-size-xs)",
          lineHeight: 1.6,
        }}
        data-language={language ?? "plaintext"}
      >
        <tbody>
          {lines.map((html, i) => (
            <tr key={i} id={`L${i + 1}`}>
              <td
                style={{
                  width: "1%",
                  minWidth: "3.5em",
                  padding: "0 12px 0 8px",
                  textAlign: "right",
                  color: "var(--mantine-color-dimmed)",
                  userSelect: "none",
                  verticalAlign: "top",
                }}
                data-line={i + 1}
              >
                {i + 1}
              </td>
              <td style={{ whiteSpace: "pre", padding: "0 8px" }} dangerouslySetInnerHTML={{ __html: html }} />
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
