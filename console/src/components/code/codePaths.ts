import { projectPath } from "../../routes/paths";

// URLs of the Code tab.
//
// A ref is ONE path segment, percent-encoded: "feature/x" is written
// "feature%2Fx", so "-/tree/feature%2Fx/src/a.go" can only mean branch
// "feature/x", path "src/a.go" (react-router decodes "%2F" inside a
// segment back to "/"). Links the console makes are therefore never
// ambiguous. A hand-typed "-/tree/feature/x/src" is resolved as GitLab
// does, by the longest branch or tag name that is a prefix of
// "feature/x/src" (resolveRefPath), and redirected to its canonical URL.
//
// File paths keep their "/" and have every segment encoded ("#", "?",
// "%" and spaces in names survive).

export type CodeView = "tree" | "blob" | "commits";

export function encodeFilePath(path: string): string {
  return path
    .split("/")
    .filter((s) => s !== "")
    .map(encodeURIComponent)
    .join("/");
}

export function treePath(owner: string, name: string, ref: string, path = ""): string {
  const p = encodeFilePath(path);
  return projectPath(owner, name, `tree/${encodeURIComponent(ref)}${p ? `/${p}` : ""}`);
}

export function blobPath(owner: string, name: string, ref: string, path: string): string {
  return projectPath(owner, name, `blob/${encodeURIComponent(ref)}/${encodeFilePath(path)}`);
}

export function commitsPath(owner: string, name: string, ref: string): string {
  return projectPath(owner, name, `commits/${encodeURIComponent(ref)}`);
}

export function commitPath(owner: string, name: string, sha: string): string {
  return projectPath(owner, name, `commit/${encodeURIComponent(sha)}`);
}

// codePath is the page of kind view at ref (and path, for tree and blob).
export function codePath(view: CodeView, owner: string, name: string, ref: string, path: string): string {
  switch (view) {
    case "blob":
      return path ? blobPath(owner, name, ref, path) : treePath(owner, name, ref);
    case "commits":
      return commitsPath(owner, name, ref);
    default:
      return treePath(owner, name, ref, path);
  }
}

// rawFileUrl is hearth's raw download of a file (plain HTTP beside the
// API, docs/git.md: GET /api/v1/projects/{owner}/{name}/repository/raw).
export function rawFileUrl(owner: string, name: string, ref: string, path: string): string {
  const q = new URLSearchParams({ ref, path });
  return `/api/v1/projects/${encodeURIComponent(owner)}/${encodeURIComponent(name)}/repository/raw?${q}`;
}

// resolveRefPath splits "first/rest" the GitLab way when the URL's ref
// segment was not encoded: the longest known ref name equal to, or a
// "/"-prefix of, ref + "/" + path. It returns null when no name longer
// than ref fits (then the URL is taken as it is). Like GitLab, the
// longest name wins even when ref itself is a name too (a branch
// "feature" and a tag "feature/x" can coexist).
export function resolveRefPath(ref: string, path: string, names: readonly string[]): { ref: string; path: string } | null {
  if (!path) {
    return null;
  }
  const full = `${ref}/${path}`;
  let best = "";
  for (const n of names) {
    if (n.length > best.length && (full === n || full.startsWith(`${n}/`))) {
      best = n;
    }
  }
  if (best.length <= ref.length) {
    return null;
  }
  return { ref: best, path: full.slice(best.length + 1) };
}

export function shortSha(sha: string): string {
  return sha.slice(0, 8);
}

// readmeLink resolves a relative link of a README in directory dir to the
// console's page for it at ref (a blob page; the server redirects
// directories); absolute URLs, "/…" paths and "#…" anchors stay.
export function readmeLink(owner: string, name: string, ref: string, dir: string, url: string): string {
  if (url === "" || url.startsWith("#") || url.startsWith("/") || /^[a-z][a-z0-9+.-]*:/i.test(url)) {
    return url;
  }
  const cut = url.search(/[?#]/);
  const rel = cut === -1 ? url : url.slice(0, cut);
  const hash = url.indexOf("#") === -1 ? "" : url.slice(url.indexOf("#"));
  const parts = dir.split("/").filter(Boolean);
  for (const seg of rel.split("/")) {
    if (seg === "..") {
      parts.pop();
    } else if (seg !== "." && seg !== "") {
      parts.push(seg);
    }
  }
  const path = parts.join("/");
  return (path ? blobPath(owner, name, ref, path) : treePath(owner, name, ref)) + hash;
}
