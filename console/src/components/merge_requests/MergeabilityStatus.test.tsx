import { create } from "@bufbuild/protobuf";
import { MantineProvider } from "@mantine/core";
import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { Mergeability, MergeStatusSchema } from "../../gen/hearth/v1/merge_request_pb";
import { MergeabilityStatus } from "./MergeabilityStatus";
import { titleFromBranch } from "./titleFromBranch";

function show(mergeability: Mergeability | undefined) {
  render(
    <MantineProvider>
      <MergeabilityStatus status={mergeability === undefined ? undefined : create(MergeStatusSchema, { mergeability })} />
    </MantineProvider>,
  );
}

describe("MergeabilityStatus", () => {
  it("words each state", () => {
    show(Mergeability.UNRELATED);
    expect(screen.getByText("Unrelated histories")).toBeInTheDocument();
  });
  it("says when it is still being checked", () => {
    show(undefined);
    expect(screen.getByText("Checking mergeability")).toBeInTheDocument();
  });
  it("says when it merges cleanly", () => {
    show(Mergeability.MERGEABLE);
    expect(screen.getByText("No conflicts")).toBeInTheDocument();
  });
});

describe("titleFromBranch", () => {
  it("turns a branch name into a title", () => {
    expect(titleFromBranch("feature/add-login_page")).toBe("Add login page");
    expect(titleFromBranch("fix")).toBe("Fix");
    expect(titleFromBranch("--")).toBe("--");
  });
});
