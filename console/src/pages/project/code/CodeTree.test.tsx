import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { signedIn } from "../../../test/fixtures";
import { renderApp } from "../../../test/renderApp";
import { fakeRepo, repoApi } from "./repoFixture";

function names(table: HTMLElement): string[] {
  return within(table)
    .getAllByRole("row")
    .map((r) => r.querySelector("td")?.textContent ?? "");
}

describe("code tab: tree", () => {
  it("shows the default branch's root, folders first, with its README", async () => {
    signedIn();
    const repo = fakeRepo();
    renderApp("/ada/tools", repoApi(repo));
    const table = await screen.findByRole("table", { name: "Files" });
    expect(names(table)).toEqual(["docs", "src", "Makefile", "README.md", "logo.png"]);
    const readme = await screen.findByRole("region", { name: "README.md" });
    expect(await within(readme).findByRole("heading", { name: "Tools" })).toBeInTheDocument();
    expect(within(readme).getByText(/Build helpers for everyone\./)).toBeInTheDocument();
    expect(within(readme).getByRole("link", { name: "the guide" })).toHaveAttribute("href", "/ada/tools/-/blob/main/docs/guide.md");
    expect(repo.calls).toContain("tree main ");
    expect(screen.getByRole("tab", { name: "Code" })).toHaveAttribute("aria-selected", "true");
  });

  it("navigates into folders and back up by the breadcrumb", async () => {
    signedIn();
    const repo = fakeRepo();
    const { router } = renderApp("/ada/tools", repoApi(repo));
    const user = userEvent.setup();
    await user.click(await screen.findByRole("link", { name: "src" }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/ada/tools/-/tree/main/src"));
    await user.click(await screen.findByRole("link", { name: "util" }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/ada/tools/-/tree/main/src/util"));
    expect(await screen.findByRole("link", { name: "strings.go" })).toHaveAttribute("href", "/ada/tools/-/blob/main/src/util/strings.go");
    const crumbs = screen.getByRole("navigation", { name: "Path" });
    expect(within(crumbs).getByText("util")).toHaveAttribute("aria-current", "page");
    await user.click(within(crumbs).getByRole("link", { name: "src" }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/ada/tools/-/tree/main/src"));
    await user.click(await screen.findByRole("link", { name: "Parent directory" }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/ada/tools/-/tree/main"));
    expect(await screen.findByRole("table", { name: "Files" })).toBeInTheDocument();
  });

  it("takes a ref with a slash as one encoded segment", async () => {
    signedIn();
    const repo = fakeRepo();
    const { router } = renderApp("/ada/tools/-/tree/feature%2Fx/src", repoApi(repo));
    expect(await screen.findByRole("link", { name: "extra.go" })).toHaveAttribute("href", "/ada/tools/-/blob/feature%2Fx/src/extra.go");
    expect(repo.calls).toContain("tree feature/x src");
    await waitFor(() => expect(router.state.location.pathname).toBe("/ada/tools/-/tree/feature%2Fx/src"));
  });

  it("resolves an unencoded ref with a slash by the longest branch name, like GitLab", async () => {
    signedIn();
    const repo = fakeRepo();
    const { router } = renderApp("/ada/tools/-/tree/feature/x/src", repoApi(repo));
    await waitFor(() => expect(router.state.location.pathname).toBe("/ada/tools/-/tree/feature%2Fx/src"));
    expect(await screen.findByRole("link", { name: "extra.go" })).toBeInTheDocument();
  });

  it("switches refs from the picker and keeps the path", async () => {
    signedIn();
    const repo = fakeRepo();
    const { router } = renderApp("/ada/tools/-/tree/main/src", repoApi(repo));
    const user = userEvent.setup();
    await screen.findByRole("link", { name: "main.go" });
    const picker = screen.getByRole("textbox", { name: "Branch or tag" });
    await waitFor(() => expect(picker).toHaveValue("main"));
    await user.click(picker);
    await user.click(await screen.findByRole("option", { name: "feature/x", hidden: true }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/ada/tools/-/tree/feature%2Fx/src"));
    expect(await screen.findByRole("link", { name: "extra.go" })).toBeInTheDocument();
    expect(repo.calls).toContain("tree feature/x src");
  });

  it("shows how to push to an empty repository", async () => {
    signedIn();
    const repo = fakeRepo({ branches: [], tags: [], refs: {} });
    renderApp("/ada/tools", repoApi(repo));
    expect(await screen.findByRole("heading", { name: "This repository is empty" })).toBeInTheDocument();
    expect(screen.getByRole("textbox", { name: "Clone URL" })).toHaveValue("http://hearth.test/ada/tools.git");
    const commands = screen.getAllByText(/git push -u origin main/, { selector: "pre" });
    expect(commands).toHaveLength(2);
    expect(commands[0]).toHaveTextContent("git remote add origin http://hearth.test/ada/tools.git");
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });

  it("copies the clone URL", async () => {
    signedIn();
    renderApp("/ada/tools", repoApi(fakeRepo()));
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Copy the clone URL" }));
    expect(await navigator.clipboard.readText()).toBe("http://hearth.test/ada/tools.git");
    expect(await screen.findByRole("button", { name: "Copied" })).toBeInTheDocument();
  });

  it("says so when a directory does not exist", async () => {
    signedIn();
    renderApp("/ada/tools/-/tree/main/nope", repoApi(fakeRepo()));
    expect(await screen.findByRole("alert")).toHaveTextContent("No directory nope at main");
    expect(screen.getByRole("link", { name: "Go to the main branch" })).toHaveAttribute("href", "/ada/tools/-/tree/main");
  });

  it("opens a file named in a tree URL", async () => {
    signedIn();
    const { router } = renderApp("/ada/tools/-/tree/main/Makefile", repoApi(fakeRepo()));
    await waitFor(() => expect(router.state.location.pathname).toBe("/ada/tools/-/blob/main/Makefile"));
  });

  it("shows the 404 page for an unknown code path", async () => {
    signedIn();
    renderApp("/ada/tools/-/nothing/here", repoApi(fakeRepo()));
    expect(await screen.findByRole("heading", { name: "Page not found" })).toBeInTheDocument();
  });
});
