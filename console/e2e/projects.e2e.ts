import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launch, signIn, watchedPage } from "./browser";
import { startHearth, type Hearth } from "./hearth";

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

describe("the console in a browser", () => {
  it("signs in, creates a project and opens it, with no errors on the way", async () => {
    const { page, problems, screenshot } = await watchedPage(browser);
    // A deep link survives: signing in comes back to it.
    await page.goto(`${hearth.url}/projects`);
    await page.getByLabel("Username or email").waitFor();
    await screenshot("sign-in");
    await signIn(page, hearth.url, hearth.adminPassword, "/projects");
    await page.getByRole("button", { name: "Create a project" }).click();
    const dialog = page.getByRole("dialog", { name: "New project" });
    await dialog.getByRole("textbox", { name: /name/i }).fill("tools");
    await dialog.getByRole("textbox", { name: "Description" }).fill("Build helpers");
    await dialog.getByRole("button", { name: "Create project" }).click();
    await page.getByRole("heading", { name: "admin / tools" }).waitFor();
    expect(new URL(page.url()).pathname).toBe("/admin/tools");
    await screenshot("project");

    // A reload keeps the page (the server answers deep links with the app).
    await page.reload();
    await page.getByRole("heading", { name: "admin / tools" }).waitFor();

    // Narrow screens work too.
    await page.setViewportSize({ width: 360, height: 740 });
    await page.goto(`${hearth.url}/projects`);
    await page.getByRole("listitem", { name: "admin/tools" }).waitFor();
    await screenshot("projects-360");

    expect(problems).toEqual([]);
  });
});
