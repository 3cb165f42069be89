import { describe, expect, it } from "vitest";
import { safeNext, signInPath } from "./paths";

describe("paths", () => {
  it("only follows next to a path on this site", () => {
    expect(safeNext("/projects?q=a")).toBe("/projects?q=a");
    for (const bad of [null, "", "https://evil.example/", "//evil.example", "/\\evil.example", "javascript:alert(1)"]) {
      expect(safeNext(bad)).toBe("/projects");
    }
  });

  it("remembers where to come back to", () => {
    expect(signInPath("/projects?q=a")).toBe("/sign-in?next=%2Fprojects%3Fq%3Da");
    expect(signInPath("/")).toBe("/sign-in");
    expect(signInPath("/sign-in?next=x")).toBe("/sign-in");
  });
});
