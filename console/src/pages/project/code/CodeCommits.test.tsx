import { create } from "@bufbuild/protobuf";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { DiffSchema, FileStatus } from "../../../gen/hearth/v1/repository_pb";
import { signedIn } from "../../../test/fixtures";
import { renderApp } from "../../../test/renderApp";
import { commit, fakeRepo, repoApi } from "./repoFixture";

const sha = (n: number) => n.toString(16).padStart(40, "0");

describe("code tab: commits", () => {
  it("lists commits a page at a time, each linking to the commit", async () => {
    signedIn();
    const repo = fakeRepo({ commits: Array.from({ length: 45 }, (_, i) => commit(sha(i + 1), `Change number ${i + 1}`)) });
    const { router } = renderApp("/ada/tools/-/commits/feature%2Fx", repoApi(repo));
    const user = userEvent.setup();
    const list = await screen.findByRole("list", { name: "Commits of feature/x" });
    expect(within(list).getAllByRole("listitem")).toHaveLength(30);
    expect(repo.calls).toContain("commits feature/x ");
    await user.click(screen.getByRole("button", { name: "Load older commits" }));
    expect(await screen.findByText("Change number 45")).toBeInTheDocument();
    expect(within(list).getAllByRole("listitem")).toHaveLength(45);
    expect(screen.queryByRole("button", { name: "Load older commits" })).not.toBeInTheDocument();
    await user.click(screen.getByRole("link", { name: "Change number 2" }));
    await waitFor(() => expect(router.state.location.pathname).toBe(`/ada/tools/-/commit/${sha(2)}`));
  });

  it("says so when a ref has no commits", async () => {
    signedIn();
    renderApp("/ada/tools/-/commits/main", repoApi(fakeRepo({ commits: [] })));
    expect(await screen.findByRole("heading", { name: "No commits" })).toBeInTheDocument();
  });

  it("shows a commit's message, author, parents and diff", async () => {
    signedIn();
    const parent = sha(7);
    const repo = fakeRepo({
      commit: {
        commit: commit(sha(8), "Say hello", { message: "Say hello\n\nBecause greeting matters.\n", parentShas: [parent] }),
        diff: create(DiffSchema, {
          additions: 1,
          deletions: 1,
          files: [
            {
              oldPath: "src/main.go",
              newPath: "src/main.go",
              status: FileStatus.MODIFIED,
              additions: 1,
              deletions: 1,
              patch: "diff --git a/src/main.go b/src/main.go\n--- a/src/main.go\n+++ b/src/main.go\n@@ -1,2 +1,2 @@\n package main\n-func a() {}\n+func hello() {}\n",
            },
          ],
        }),
      },
    });
    const { router } = renderApp(`/ada/tools/-/commit/${sha(8)}`, repoApi(repo));
    const user = userEvent.setup();
    expect(await screen.findByRole("heading", { name: "Say hello" })).toBeInTheDocument();
    expect(screen.getByText("Because greeting matters.")).toBeInTheDocument();
    expect(screen.getByText("Ada Lovelace")).toBeInTheDocument();
    expect(screen.getByText(sha(8))).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "src/main.go" })).toHaveAttribute("aria-expanded", "true");
    expect(screen.getByText("func hello() {}")).toBeInTheDocument();
    expect(screen.getByText("func a() {}")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Browse files" })).toHaveAttribute("href", `/ada/tools/-/tree/${sha(8)}`);
    await user.click(screen.getByRole("link", { name: `Parent ${parent.slice(0, 8)}` }));
    await waitFor(() => expect(router.state.location.pathname).toBe(`/ada/tools/-/commit/${parent}`));
    expect(await screen.findByRole("alert")).toHaveTextContent(`No commit ${parent}`);
  });
});
