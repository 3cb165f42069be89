import { describe, expect, it } from "vitest";
import { job } from "../../pages/project/pipelines/testData";
import { latestAttempts, layoutJobs } from "./jobGraph";

describe("layoutJobs", () => {
  it("puts each job one column after the deepest job it needs", () => {
    const { columns, edges } = layoutJobs([
      job("deploy", { needs: ["test", "lint"] }),
      job("lint"),
      job("build"),
      job("test", { needs: ["build"] }),
      job("docs", { needs: ["nonexistent"] }),
    ]);
    expect(columns.map((c) => c.map((j) => j.name))).toEqual([["lint", "build", "docs"], ["test"], ["deploy"]]);
    expect(edges).toEqual([
      { from: "test", to: "deploy" },
      { from: "lint", to: "deploy" },
      { from: "build", to: "test" },
    ]);
  });

  it("survives a cycle", () => {
    const { columns } = layoutJobs([job("a", { needs: ["b"] }), job("b", { needs: ["a"] })]);
    expect(columns.flat().map((j) => j.name).sort()).toEqual(["a", "b"]);
  });

  it("keeps each job's newest attempt", () => {
    const jobs = latestAttempts([job("a", { id: "1" }), job("b", { id: "2" }), job("a", { id: "3", attempt: 2 })]);
    expect(jobs.map((j) => j.id)).toEqual(["3", "2"]);
  });
});
