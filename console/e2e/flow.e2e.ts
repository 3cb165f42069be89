import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launch, signIn, watchedPage } from "./browser";
import { workingCopy } from "./git";
import { startHearth, type Hearth } from "./hearth";

// The whole flow of issue 7: sign in, create a project, push with git,
// watch a pipeline's log stream to success, open a merge request and
// merge it; screenshots of the main pages; no console errors and no 4xx
// or 5xx responses on the way.

let hearth: Hearth;
let browser: Browser;

beforeAll(async () => {
  hearth = await startHearth();
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
  await hearth?.stop();
});

const pipelineFile = `jobs:
  build:
    steps:
      - for i in $(seq 1 40); do echo "line $i"; sleep 0.05; done
      - printf '\\033[32mbuilt\\033[0m\\n'
`;


describe("the console's main flow", () => {
  it("creates a project, runs its pipeline live and merges a merge request", async () => {
    const { page, problems, screenshot } = await watchedPage(browser);
    try {
      await flow(page, screenshot);
    } catch (err) {
      await screenshot("failure");
      throw new Error(`${String(err)}\nproblems so far: ${problems.join("; ")}`);
    }
    expect(problems).toEqual([]);
  });
});

async function flow(page: Page, screenshot: (name: string) => Promise<void>) {
    await signIn(page, hearth.url, hearth.adminPassword);

    await page.getByRole("button", { name: "Create a project" }).click();
    const dialog = page.getByRole("dialog", { name: "New project" });
    await dialog.getByRole("textbox", { name: /name/i }).fill("app");
    await dialog.getByRole("button", { name: "Create project" }).click();
    await page.getByRole("heading", { name: "admin / app" }).waitFor();
    await page.getByText("git push", { exact: false }).first().waitFor();
    await screenshot("code-empty");

    // Push with the real git binary; the push starts a pipeline that the
    // local agent runs.
    const wc = workingCopy(hearth.url, "admin", "app", "admin", hearth.adminPassword);
    wc.commit("Initial commit", { "README.md": "# App\n\nBuilt by **Hearth**.\n", ".hearth.yml": pipelineFile, "main.txt": "one\ntwo\n" });
    wc.push("main");

    await page.getByRole("tab", { name: "Pipelines" }).click();
    await page.getByRole("link", { name: "Pipeline #1" }).click();
    await page.getByRole("link", { name: /^build:/ }).click();
    const log = page.getByLabel("Job log");
    // The log streams while the job runs and ends complete and green.
    await log.getByText("line 40").first().waitFor({ timeout: 120_000 });
    await page.getByText("Complete", { exact: true }).waitFor({ timeout: 60_000 });
    const text = await log.innerText();
    for (let i = 1; i <= 40; i++) {
      expect(text.split("\n").filter((l) => l === `line ${i}`)).toHaveLength(1);
    }
    expect(await log.locator("span", { hasText: "built" }).count()).toBeGreaterThan(0);
    await page.getByText("Passed").first().waitFor({ timeout: 60_000 });
    await screenshot("job-log");

    await page.getByRole("tab", { name: "Code" }).click();
    await page.getByText("Built by").waitFor();
    await screenshot("code");

    // A branch, a merge request from it, and the merge.
    wc.checkout("feature", true);
    wc.commit("Add a feature", { "feature.txt": "new\n" });
    wc.push("feature");
    await page.getByRole("tab", { name: "Merge requests" }).click();
    await page.getByRole("link", { name: "New merge request" }).first().click();
    await page.getByRole("textbox", { name: "Source branch" }).click();
    await page.getByRole("option", { name: "feature" }).click();
    await page.getByRole("button", { name: "Open merge request" }).click();
    await page.getByRole("heading", { name: /Add a feature|Feature/ }).first().waitFor();
    await page.getByRole("button", { name: "Merge", exact: true }).waitFor();
    await screenshot("merge-request");
    await page.getByRole("button", { name: "Merge", exact: true }).click();
    await page.getByText("Merged", { exact: true }).first().waitFor({ timeout: 60_000 });
    await screenshot("merged");
}
