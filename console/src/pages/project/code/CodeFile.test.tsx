import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { signedIn } from "../../../test/fixtures";
import { renderApp } from "../../../test/renderApp";
import { fakeRepo, repoApi } from "./repoFixture";

describe("code tab: files", () => {
  it("opens a file from the tree, highlighted, with line numbers and a raw link", async () => {
    signedIn();
    const { router, container } = renderApp("/ada/tools/-/tree/main/src", repoApi(fakeRepo()));
    const user = userEvent.setup();
    await user.click(await screen.findByRole("link", { name: "main.go" }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/ada/tools/-/blob/main/src/main.go"));
    await waitFor(() => expect(container.querySelector("table[data-language='go']")).not.toBeNull());
    const keyword = container.querySelector(".hljs-keyword");
    expect(keyword).toHaveTextContent("package");
    expect(container.querySelector(".hljs-string")).toHaveTextContent('"hi"');
    expect(container.querySelector("#L5")).toHaveTextContent("}");
    expect(container.querySelector("#L6")).toBeNull();
    expect(screen.getByText(/5 lines/)).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Raw" })).toHaveAttribute(
      "href",
      "/api/v1/projects/ada/tools/repository/raw?ref=main&path=src%2Fmain.go",
    );
  });

  it("keeps the file when switching to another branch", async () => {
    signedIn();
    const repo = fakeRepo();
    const { router } = renderApp("/ada/tools/-/blob/main/src/main.go", repoApi(repo));
    const user = userEvent.setup();
    expect(await screen.findByText(/5 lines/)).toBeInTheDocument();
    await user.click(screen.getByRole("textbox", { name: "Branch or tag" }));
    await user.click(await screen.findByRole("option", { name: "feature/x", hidden: true }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/ada/tools/-/blob/feature%2Fx/src/main.go"));
    expect(await screen.findByText(/1 line\b/)).toBeInTheDocument();
    expect(screen.getByText("// feature")).toBeInTheDocument();
    expect(repo.calls).toContain("blob feature/x src/main.go");
  });

  it("says a binary file is not shown and offers the download", async () => {
    signedIn();
    renderApp("/ada/tools/-/blob/v1.0/logo.png", repoApi(fakeRepo()));
    expect(await screen.findByText("Binary file not shown. Download it to view it.")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Download logo.png" })).toHaveAttribute(
      "href",
      "/api/v1/projects/ada/tools/repository/raw?ref=v1.0&path=logo.png",
    );
    expect(screen.getByRole("textbox", { name: "Branch or tag" })).toHaveValue("v1.0");
  });

  it("shows Makefiles as makefile, names without a known extension as plain text", async () => {
    signedIn();
    const { container } = renderApp("/ada/tools/-/blob/main/Makefile", repoApi(fakeRepo()));
    await waitFor(() => expect(container.querySelector("table[data-language='makefile']")).not.toBeNull());
  });

  it("says so when a file does not exist", async () => {
    signedIn();
    renderApp("/ada/tools/-/blob/main/nope.txt", repoApi(fakeRepo()));
    expect(await screen.findByRole("alert")).toHaveTextContent("No file nope.txt at main");
    expect(screen.getByRole("link", { name: "Back to the files" })).toHaveAttribute("href", "/ada/tools/-/tree/main");
  });

  it("lists a directory named in a blob URL", async () => {
    signedIn();
    const { router } = renderApp("/ada/tools/-/blob/main/src", repoApi(fakeRepo()));
    await waitFor(() => expect(router.state.location.pathname).toBe("/ada/tools/-/tree/main/src"));
    expect(await screen.findByRole("link", { name: "main.go" })).toBeInTheDocument();
  });
});
