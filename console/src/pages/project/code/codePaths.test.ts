import { describe, expect, it } from "vitest";
import { blobPath, commitsPath, rawFileUrl, readmeLink, resolveRefPath, treePath } from "../../../components/code/codePaths";
import { highlightLines, languageFor, splitHtmlLines } from "../../../components/code/highlight";

describe("code paths", () => {
  it("encodes a ref as one segment and each path segment", () => {
    expect(treePath("ada", "tools", "main")).toBe("/ada/tools/-/tree/main");
    expect(treePath("ada", "tools", "feature/x", "src/a b")).toBe("/ada/tools/-/tree/feature%2Fx/src/a%20b");
    expect(blobPath("ada", "tools", "v1.0", "docs/#1?.md")).toBe("/ada/tools/-/blob/v1.0/docs/%231%3F.md");
    expect(commitsPath("ada", "tools", "release/2026")).toBe("/ada/tools/-/commits/release%2F2026");
    expect(rawFileUrl("ada", "tools", "feature/x", "a/b.txt")).toBe(
      "/api/v1/projects/ada/tools/repository/raw?ref=feature%2Fx&path=a%2Fb.txt",
    );
  });

  it("splits an unencoded ref by the longest known name", () => {
    const names = ["feature", "feature/x", "feature/x/y", "main"];
    expect(resolveRefPath("feature", "x/y/src/a.go", names)).toEqual({ ref: "feature/x/y", path: "src/a.go" });
    expect(resolveRefPath("feature", "x", names)).toEqual({ ref: "feature/x", path: "" });
    // A known ref, or no longer match: the URL stands.
    expect(resolveRefPath("main", "feature/x", names)).toBeNull();
    expect(resolveRefPath("abc123", "src", names)).toBeNull();
  });
});

describe("README links", () => {
  it("resolve relative to the README's directory at the same ref", () => {
    expect(readmeLink("ada", "tools", "feature/x", "docs", "../src/a.go#L3")).toBe("/ada/tools/-/blob/feature%2Fx/src/a.go#L3");
    expect(readmeLink("ada", "tools", "main", "", "./guide.md")).toBe("/ada/tools/-/blob/main/guide.md");
    expect(readmeLink("ada", "tools", "main", "docs", "..")).toBe("/ada/tools/-/tree/main");
    for (const url of ["https://example.com/", "#usage", "/ada/other", "mailto:a@b"]) {
      expect(readmeLink("ada", "tools", "main", "docs", url)).toBe(url);
    }
  });
});

describe("highlighting", () => {
  it("picks languages by file name", () => {
    expect(languageFor("cmd/main.go")).toBe("go");
    expect(languageFor("web/App.tsx")).toBe("typescript");
    expect(languageFor("Dockerfile")).toBe("dockerfile");
    expect(languageFor(".hearth.yml")).toBe("yaml");
    expect(languageFor("scripts/run.sh")).toBe("bash");
    expect(languageFor("LICENSE")).toBeUndefined();
  });

  it("keeps every line standalone when a span crosses lines", () => {
    expect(splitHtmlLines('a<span class="c">/*\nx*/</span>b')).toEqual(['a<span class="c">/*</span>', '<span class="c">x*/</span>b']);
    const lines = highlightLines("/* one\n two */\nx := 1\n", "go");
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(/^<span class="hljs-comment">/);
    expect(highlightLines("<b>&</b>", undefined)).toEqual(["&lt;b&gt;&amp;&lt;/b&gt;"]);
  });
});
