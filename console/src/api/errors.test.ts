import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { describeError } from "./errors";

describe("describeError", () => {
  it("words each code and keeps the server's message as detail", () => {
    expect(describeError(new ConnectError("project not found", Code.NotFound))).toEqual({
      title: "It does not exist, or you cannot see it.",
      detail: "project not found",
      code: Code.NotFound,
    });
    expect(describeError(new ConnectError("", Code.PermissionDenied)).title).toBe(
      "You do not have permission to do this.",
    );
  });

  it("hides the browser's network error text", () => {
    const human = describeError(new ConnectError("Failed to fetch", Code.Unavailable));
    expect(human.title).toMatch(/cannot be reached/);
    expect(human.detail).toBeUndefined();
  });

  it("handles values that are not Connect errors", () => {
    expect(describeError(new Error("boom")).code).toBe(Code.Unknown);
    expect(describeError("text").title).toBe("Something went wrong.");
  });
});
