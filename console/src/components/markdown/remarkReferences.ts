import { projectPath } from "../../routes/paths";

// A minimal view of mdast nodes: only what the plugin reads and writes.
interface MdNode {
  type: string;
  value?: string;
  url?: string;
  children?: MdNode[];
}

// "#12" (an issue) or "!3" (a merge request): not inside a word, not a URL
// fragment ("x/#12") nor an HTML entity ("&#12;"), the same rule as the
// server's mention scanner.
const referencePattern = /(^|[^\p{L}\p{N}_/&#!])([#!])(\d{1,18})(?![\p{L}\p{N}_])/gu;

// Nodes whose text must stay as written: a link's text is already a link.
const skipped = new Set(["link", "linkReference", "definition", "inlineCode", "code", "html"]);

// referenceHref is the console page a reference points at.
export function referenceHref(owner: string, name: string, sigil: string, number: string): string {
  return projectPath(owner, name, `${sigil === "#" ? "issues" : "merge_requests"}/${number}`);
}

// splitReferences turns one text into text and link nodes.
export function splitReferences(text: string, owner: string, name: string): MdNode[] {
  const out: MdNode[] = [];
  let last = 0;
  for (const m of text.matchAll(referencePattern)) {
    const start = (m.index ?? 0) + m[1].length;
    if (start > last) {
      out.push({ type: "text", value: text.slice(last, start) });
    }
    const label = m[2] + m[3];
    out.push({ type: "link", url: referenceHref(owner, name, m[2], m[3]), children: [{ type: "text", value: label }] });
    last = start + label.length;
  }
  if (last === 0) {
    return [{ type: "text", value: text }];
  }
  if (last < text.length) {
    out.push({ type: "text", value: text.slice(last) });
  }
  return out;
}

function walk(node: MdNode, owner: string, name: string) {
  if (!node.children || skipped.has(node.type)) {
    return;
  }
  const next: MdNode[] = [];
  for (const child of node.children) {
    if (child.type === "text" && child.value) {
      next.push(...splitReferences(child.value, owner, name));
    } else {
      walk(child, owner, name);
      next.push(child);
    }
  }
  node.children = next;
}

// remarkReferences links "#12" and "!3" to the issue and merge request
// pages of the project owner/name.
export function remarkReferences(options: { owner: string; name: string }) {
  return (tree: unknown) => {
    walk(tree as MdNode, options.owner, options.name);
  };
}
