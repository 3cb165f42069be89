import { create } from "@bufbuild/protobuf";
import { DurationSchema } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { responseTime, secretProblem, statusText, urlProblem } from "./webhookRules";

describe("webhook rules", () => {
  it("accepts only absolute http(s) URLs without credentials", () => {
    expect(urlProblem("https://ci.example.com/hooks/hearth?token=x")).toBeNull();
    expect(urlProblem("http://10.0.0.5:8080/")).toBeNull();
    expect(urlProblem("")).toBeNull();
    expect(urlProblem("ci.example.com/hook")).toMatch(/absolute/);
    expect(urlProblem("ftp://ci.example.com/")).toMatch(/absolute/);
    expect(urlProblem("https://bot:pw@ci.example.com/")).toMatch(/No user or password/);
    expect(urlProblem(`https://example.com/${"a".repeat(2048)}`)).toMatch(/At most 2048/);
  });

  it("wants a chosen secret of 16 to 256 characters", () => {
    expect(secretProblem("")).toBeNull();
    expect(secretProblem("short")).toMatch(/16 to 256/);
    expect(secretProblem("x".repeat(16))).toBeNull();
    expect(secretProblem("x".repeat(257))).toMatch(/16 to 256/);
  });

  it("writes response times and statuses", () => {
    expect(responseTime(create(DurationSchema, { nanos: 85_400_000 }))).toBe("85 ms");
    expect(responseTime(create(DurationSchema, { seconds: 1n, nanos: 250_000_000 }))).toBe("1.3 s");
    expect(responseTime(undefined)).toBe("—");
    expect(statusText(0, 0)).toBe("—");
    expect(statusText(0, 3)).toBe("No answer");
    expect(statusText(502, 1)).toBe("502");
  });
});
