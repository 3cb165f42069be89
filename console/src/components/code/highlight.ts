import hljs from "highlight.js/lib/core";
import bash from "highlight.js/lib/languages/bash";
import c from "highlight.js/lib/languages/c";
import cpp from "highlight.js/lib/languages/cpp";
import css from "highlight.js/lib/languages/css";
import diff from "highlight.js/lib/languages/diff";
import dockerfile from "highlight.js/lib/languages/dockerfile";
import go from "highlight.js/lib/languages/go";
import ini from "highlight.js/lib/languages/ini";
import java from "highlight.js/lib/languages/java";
import javascript from "highlight.js/lib/languages/javascript";
import json from "highlight.js/lib/languages/json";
import makefile from "highlight.js/lib/languages/makefile";
import markdown from "highlight.js/lib/languages/markdown";
import protobuf from "highlight.js/lib/languages/protobuf";
import python from "highlight.js/lib/languages/python";
import rust from "highlight.js/lib/languages/rust";
import sql from "highlight.js/lib/languages/sql";
import typescript from "highlight.js/lib/languages/typescript";
import xml from "highlight.js/lib/languages/xml";
import yaml from "highlight.js/lib/languages/yaml";

// Syntax highlighting with highlight.js's core and the languages a forge
// mostly shows (the full bundle is ~1 MB). A language is picked by file
// name, never guessed from content.
const languages = {
  bash,
  c,
  cpp,
  css,
  diff,
  dockerfile,
  go,
  ini,
  java,
  javascript,
  json,
  makefile,
  markdown,
  protobuf,
  python,
  rust,
  sql,
  typescript,
  xml,
  yaml,
};
for (const [name, lang] of Object.entries(languages)) {
  hljs.registerLanguage(name, lang);
}

const byExtension: Record<string, keyof typeof languages> = {
  sh: "bash",
  bash: "bash",
  zsh: "bash",
  c: "c",
  h: "c",
  cc: "cpp",
  cpp: "cpp",
  cxx: "cpp",
  hpp: "cpp",
  css: "css",
  diff: "diff",
  patch: "diff",
  go: "go",
  ini: "ini",
  toml: "ini",
  cfg: "ini",
  conf: "ini",
  java: "java",
  js: "javascript",
  mjs: "javascript",
  cjs: "javascript",
  jsx: "javascript",
  json: "json",
  mk: "makefile",
  md: "markdown",
  markdown: "markdown",
  proto: "protobuf",
  py: "python",
  rs: "rust",
  sql: "sql",
  ts: "typescript",
  tsx: "typescript",
  mts: "typescript",
  cts: "typescript",
  html: "xml",
  htm: "xml",
  xml: "xml",
  svg: "xml",
  yaml: "yaml",
  yml: "yaml",
};

const byName: Record<string, keyof typeof languages> = {
  dockerfile: "dockerfile",
  containerfile: "dockerfile",
  makefile: "makefile",
  gnumakefile: "makefile",
  "go.mod": "go",
  ".bashrc": "bash",
  ".profile": "bash",
};

// languageFor names the highlight.js language for a file path, or
// undefined for plain text.
export function languageFor(path: string): string | undefined {
  const base = (path.split("/").pop() ?? "").toLowerCase();
  if (byName[base]) {
    return byName[base];
  }
  if (base.startsWith("dockerfile.") || base.endsWith(".dockerfile")) {
    return "dockerfile";
  }
  const dot = base.lastIndexOf(".");
  return dot > 0 || (dot === 0 && base.length > 1) ? byExtension[base.slice(dot + 1)] : undefined;
}

// Past this size a file is shown without colours: highlighting would
// stall the page.
const maxHighlightBytes = 256 * 1024;

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

// highlightLines returns the file's lines as HTML (highlight.js escapes
// the text; spans that cross a line break are closed and reopened, so
// every line stands alone). Without a language the lines are escaped
// text.
export function highlightLines(code: string, language: string | undefined): string[] {
  const text = code.endsWith("\n") ? code.slice(0, -1) : code;
  if (!language || text.length > maxHighlightBytes || !hljs.getLanguage(language)) {
    return text.split("\n").map((l) => escapeHtml(l.replace(/\r$/, "")));
  }
  const html = hljs.highlight(text, { language, ignoreIllegals: true }).value;
  return splitHtmlLines(html);
}

// splitHtmlLines splits highlight.js output, which holds only <span
// class="…"> and </span> tags and escaped text, at its newlines.
export function splitHtmlLines(html: string): string[] {
  const lines: string[] = [];
  const open: string[] = [];
  let line = "";
  const tag = /<span[^>]*>|<\/span>|\n/g;
  let last = 0;
  for (let m = tag.exec(html); m; m = tag.exec(html)) {
    line += html.slice(last, m.index);
    last = m.index + m[0].length;
    if (m[0] === "\n") {
      lines.push(line.replace(/\r$/, "") + "</span>".repeat(open.length));
      line = open.join("");
    } else if (m[0] === "</span>") {
      open.pop();
      line += m[0];
    } else {
      open.push(m[0]);
      line += m[0];
    }
  }
  line += html.slice(last);
  lines.push(line);
  return lines;
}
