import { describe, expect, it } from "vitest";
import { LogPosition } from "./logFollower";

const enc = new TextEncoder();

function texts(pieces: ReturnType<LogPosition["accept"]>): string {
  if (pieces === "gap") {
    throw new Error("unexpected gap");
  }
  return pieces.map((p) => p.text).join("");
}

describe("LogPosition", () => {
  it("skips bytes it already has and refuses a gap", () => {
    const pos = new LogPosition();
    expect(texts(pos.accept(0, 0, enc.encode("hello ")))).toBe("hello ");
    // A resent piece overlapping what we have: only the new bytes count.
    expect(texts(pos.accept(0, 3, enc.encode("lo world")))).toBe("world");
    // Wholly old: nothing.
    expect(texts(pos.accept(0, 0, enc.encode("hel")))).toBe("");
    expect(pos.offset).toBe(11);
    // Bytes missing before it.
    expect(pos.accept(0, 20, enc.encode("x"))).toBe("gap");
    expect(pos.accept(1, 4, enc.encode("x"))).toBe("gap");
    // The next step from its start.
    expect(pos.accept(1, 0, enc.encode("next"))).toEqual([{ step: 1, text: "next" }]);
    expect([pos.step, pos.offset]).toEqual([1, 4]);
    // An earlier step's piece after the next began is old.
    expect(pos.accept(0, 11, enc.encode("late"))).toEqual([]);
  });

  it("decodes a character split across pieces whole", () => {
    const bytes = enc.encode("a€b"); // € is 3 bytes
    const pos = new LogPosition();
    expect(texts(pos.accept(0, 0, bytes.subarray(0, 2)))).toBe("a");
    expect(texts(pos.accept(0, 2, bytes.subarray(2, 3)))).toBe("");
    expect(texts(pos.accept(0, 3, bytes.subarray(3)))).toBe("€b");
  });

  it("flushes an unfinished character when the step ends", () => {
    const pos = new LogPosition();
    texts(pos.accept(0, 0, enc.encode("é").subarray(0, 1)));
    expect(pos.accept(1, 0, enc.encode("z"))).toEqual([
      { step: 0, text: "\ufffd" },
      { step: 1, text: "z" },
    ]);
  });
});
