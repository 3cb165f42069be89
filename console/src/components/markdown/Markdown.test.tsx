import { MantineProvider } from "@mantine/core";
import { render, screen } from "@testing-library/react";
import { createMemoryRouter, RouterProvider } from "react-router";
import { describe, expect, it } from "vitest";
import { Markdown } from "./Markdown";
import { splitReferences } from "./remarkReferences";

function renderMarkdown(text: string, path = "/ada/tools/-/issues/1") {
  const router = createMemoryRouter(
    [{ path: ":owner/:name/-/issues/:number", element: <Markdown>{text}</Markdown> }, { path: "*", element: <Markdown>{text}</Markdown> }],
    { initialEntries: [path] },
  );
  const utils = render(
    <MantineProvider>
      <RouterProvider router={router} />
    </MantineProvider>,
  );
  return { ...utils, router };
}

describe("Markdown", () => {
  it("renders GitHub-flavoured markdown", () => {
    const { container } = renderMarkdown("# Title\n\n- [x] done\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n~~gone~~ **bold**");
    expect(screen.getByRole("heading", { name: "Title" })).toBeInTheDocument();
    expect(screen.getByRole("table")).toBeInTheDocument();
    expect(screen.getByRole("checkbox")).toBeChecked();
    expect(container.querySelector("del")).toHaveTextContent("gone");
    expect(container.querySelector("strong")).toHaveTextContent("bold");
  });

  it("never runs raw HTML, event handlers or javascript: links", () => {
    const { container } = renderMarkdown(
      [
        "<script>window.pwned = 1</script>",
        '<img src="x" onerror="window.pwned = 1">',
        '<a href="javascript:alert(1)">raw</a>',
        "[click](javascript:alert(1)) [data](data:text/html,<script>alert(1)</script>) [vb](vbscript:msgbox)",
        "![img](javascript:alert(1))",
        '<iframe src="https://evil.example"></iframe> <style>body{}</style>',
      ].join("\n\n"),
    );
    expect(container.querySelector("script")).toBeNull();
    expect(container.querySelector("iframe")).toBeNull();
    expect(container.querySelector("style:not([data-mantine-styles])")).toBeNull();
    expect(container.querySelector("[onerror]")).toBeNull();
    for (const el of container.querySelectorAll("[href], [src]")) {
      const url = el.getAttribute("href") ?? el.getAttribute("src") ?? "";
      expect(url).not.toMatch(/^\s*(javascript|data|vbscript):/i);
    }
    // Raw HTML shows as nothing, not as markup.
    expect(container.innerHTML).not.toMatch(/onerror|<script|javascript:/i);
    expect((window as unknown as { pwned?: number }).pwned).toBeUndefined();
    // An unsafe link keeps its text, without being a link.
    expect(screen.getByText(/click/)).toBeInTheDocument();
    expect(screen.queryByRole("link", { name: "click" })).toBeNull();
  });

  it("opens external links safely in a new tab", () => {
    renderMarkdown("[docs](https://example.com/docs) and https://example.org");
    const link = screen.getByRole("link", { name: "docs" });
    expect(link).toHaveAttribute("href", "https://example.com/docs");
    expect(link).toHaveAttribute("rel", "noopener noreferrer nofollow");
    expect(link).toHaveAttribute("target", "_blank");
    expect(screen.getByRole("link", { name: "https://example.org" })).toHaveAttribute("rel", "noopener noreferrer nofollow");
  });

  it("links #12 and !3 to the project's issue and merge request pages", () => {
    renderMarkdown("Fixes #12, see !3. Not a#4, x/#5, `#6` or [#7](https://example.com).");
    expect(screen.getByRole("link", { name: "#12" })).toHaveAttribute("href", "/ada/tools/-/issues/12");
    expect(screen.getByRole("link", { name: "!3" })).toHaveAttribute("href", "/ada/tools/-/merge_requests/3");
    expect(screen.getByRole("link", { name: "!3" })).not.toHaveAttribute("target");
    expect(screen.queryByRole("link", { name: /#4|#5|#6/ })).toBeNull();
    expect(screen.getByRole("link", { name: "#7" })).toHaveAttribute("href", "https://example.com");
  });

  it("follows a reference without a page load", async () => {
    const { router } = renderMarkdown("see #2");
    screen.getByRole("link", { name: "#2" }).click();
    await screen.findByRole("link", { name: "#2" });
    expect(router.state.location.pathname).toBe("/ada/tools/-/issues/2");
  });

  it("leaves references as text outside a project", () => {
    renderMarkdown("see #2", "/elsewhere");
    expect(screen.queryByRole("link")).toBeNull();
    expect(screen.getByText("see #2")).toBeInTheDocument();
  });
});

describe("splitReferences", () => {
  it("splits text around references", () => {
    expect(splitReferences("(#1)!2 #x", "o", "n").map((n) => n.value ?? n.url)).toEqual([
      "(",
      "/o/n/-/issues/1",
      ")",
      "/o/n/-/merge_requests/2",
      " #x",
    ]);
  });
});
