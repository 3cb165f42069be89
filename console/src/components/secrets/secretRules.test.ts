import { describe, expect, it } from "vitest";
import { environmentProblem, nameProblem, valueProblem } from "./secretRules";

describe("secret rules", () => {
  it("accepts the names the server accepts", () => {
    for (const ok of ["A", "_", "NPM_TOKEN", "a1", "_9", "x".repeat(128)]) {
      expect(nameProblem(ok), ok).toBeNull();
    }
    for (const bad of ["1A", "NPM-TOKEN", "A B", "é", "x".repeat(129)]) {
      expect(nameProblem(bad), bad).not.toBeNull();
    }
  });

  it("counts a value's size in UTF-8 bytes", () => {
    expect(valueProblem("")).toBeNull();
    expect(valueProblem("1234567")).toMatch(/at least 8 bytes/);
    expect(valueProblem("12345678")).toBeNull();
    // Four characters, eight bytes.
    expect(valueProblem("éééé")).toBeNull();
    expect(valueProblem("x".repeat(64 * 1024))).toBeNull();
    expect(valueProblem("x".repeat(64 * 1024 + 1))).toMatch(/At most 64 KiB/);
  });

  it("accepts the environments the server accepts", () => {
    for (const ok of ["", "production", "eu/prod-1", "a", "v1.2"]) {
      expect(environmentProblem(ok), ok).toBeNull();
    }
    for (const bad of ["Production", "-prod", "prod/", "a b", "x".repeat(65)]) {
      expect(environmentProblem(bad), bad).not.toBeNull();
    }
  });
});
