import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launch, signIn, watchedPage } from "./browser";
import { workingCopy } from "./git";
import { startHearth, type Hearth } from "./hearth";

// Every main page of the console in a real browser, wide and at 360 px:
// each renders its heading, and nothing logs a console error or gets a
// 4xx/5xx on the way. Screenshots of each land in artifacts/.

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


describe("a tour of the console", () => {
  it("opens every main page, wide and narrow, without errors", async () => {
    const { page, problems, screenshot, settle } = await watchedPage(browser);
    try {
      await signIn(page, hearth.url, hearth.adminPassword);
      await page.getByRole("button", { name: "Create a project" }).click();
      const dialog = page.getByRole("dialog", { name: "New project" });
      await dialog.getByRole("textbox", { name: /name/i }).fill("tour");
      await dialog.getByRole("button", { name: "Create project" }).click();
      await page.getByRole("heading", { name: "admin / tour" }).waitFor();
      const wc = workingCopy(hearth.url, "admin", "tour", "admin", hearth.adminPassword);
      wc.commit("Initial commit", {
        "README.md": "# Tour\n",
        "src/main.go": 'package main\n\nfunc main() { println("hi") }\n',
        ".hearth.yml": "jobs:\n  lint:\n    steps: [echo lint]\n  test:\n    needs: [lint]\n    steps: [echo test]\n",
      });
      wc.push("main");

      // An issue, created through its form.
      await page.goto(`${hearth.url}/admin/tour/-/issues/new`);
      await page.getByRole("textbox", { name: "Title" }).fill("The tour has a bug");
      await page.getByRole("button", { name: "Open issue" }).click();
      await page.getByRole("heading", { name: /The tour has a bug/ }).waitFor();

      // A token, shown once.
      await page.goto(`${hearth.url}/-/tokens`);
      await page.getByRole("button", { name: "New token" }).click();
      const tokenDialog = page.getByRole("dialog", { name: "New access token" });
      await tokenDialog.getByRole("textbox", { name: /name/i }).fill("laptop");
      await tokenDialog.getByRole("button", { name: "Create token" }).click();
      await page.getByRole("dialog", { name: "Your new token" }).waitFor();
      await screenshot("token-once");
      await page.keyboard.press("Escape");

      // A project secret, added through its dialog: listed by name, its
      // value never on the page.
      await page.goto(`${hearth.url}/admin/tour/-/settings/secrets`);
      await page.getByRole("button", { name: "New secret" }).click();
      const secretDialog = page.getByRole("dialog", { name: "New secret" });
      await secretDialog.getByRole("textbox", { name: /^name/i }).fill("DEPLOY_TOKEN");
      await secretDialog.getByLabel(/^value/i).fill("tour-secret-value-1234");
      await secretDialog.getByRole("button", { name: "Save secret" }).click();
      await page.getByRole("row", { name: "DEPLOY_TOKEN" }).waitFor();
      await secretDialog.waitFor({ state: "hidden" });
      expect(await page.content()).not.toContain("tour-secret-value-1234");
      await screenshot("secret-added");

      // A project webhook, added through its dialog: its signing secret is
      // shown once, then listed without it. (Only failed pipelines reach
      // it: the tour's pipeline passes, so nothing is delivered.)
      await page.goto(`${hearth.url}/admin/tour/-/settings/webhooks`);
      await page.getByRole("button", { name: "New webhook" }).click();
      const hookDialog = page.getByRole("dialog", { name: "New webhook" });
      await hookDialog.getByRole("textbox", { name: /^URL/ }).fill("https://hooks.example.invalid/hearth");
      await hookDialog.getByRole("radio", { name: /Only these events/ }).check();
      await hookDialog.getByRole("checkbox", { name: "pipeline.failed" }).check();
      await hookDialog.getByRole("button", { name: "Add webhook" }).click();
      const hookSecret = page.getByRole("dialog", { name: "Webhook added" });
      const signingSecret = (await hookSecret.getByLabel("Signing secret", { exact: true }).textContent()) ?? "";
      expect(signingSecret.length).toBeGreaterThanOrEqual(16);
      await screenshot("webhook-secret-once");
      await hookSecret.getByRole("button", { name: "I have copied it" }).click();
      await page.getByRole("row", { name: "https://hooks.example.invalid/hearth" }).waitFor();
      expect(await page.content()).not.toContain(signingSecret);

      // The notification bell opens its dropdown.
      await page.getByRole("button", { name: /^Notifications( \(\d+ unread\))?$/ }).click();
      await page.getByRole("dialog", { name: "Notifications" }).getByRole("link", { name: "All notifications" }).waitFor();
      await screenshot("notification-bell");
      await page.keyboard.press("Escape");

      // The pipeline's job graph, reached from the list (pipelines are
      // addressed by id).
      await page.goto(`${hearth.url}/admin/tour/-/pipelines`);
      await page.getByRole("link", { name: "Pipeline #1" }).click();
      await page.getByRole("link", { name: /^test:/ }).waitFor();
      await page.getByRole("link", { name: /^test: Passed/ }).waitFor({ timeout: 120_000 });
      await screenshot("pipeline-graph");

      const pages: [string, string | RegExp][] = [
        ["/projects", "Projects"],
        ["/admin/tour", "admin / tour"],
        ["/admin/tour/-/blob/main/src%2Fmain.go", "admin / tour"],
        ["/admin/tour/-/commits/main", "admin / tour"],
        ["/admin/tour/-/issues", "admin / tour"],
        ["/admin/tour/-/issues/1", /The tour has a bug/],
        ["/admin/tour/-/merge_requests", "admin / tour"],
        ["/admin/tour/-/pipelines", "admin / tour"],
        ["/admin/tour/-/logs", "admin / tour"],
        ["/admin/tour/-/traces", "admin / tour"],
        ["/admin/tour/-/metrics", "admin / tour"],
        ["/admin/tour/-/settings", "admin / tour"],
        ["/admin/tour/-/settings/members", "admin / tour"],
        ["/admin/tour/-/settings/branches", "admin / tour"],
        ["/admin/tour/-/settings/secrets", "admin / tour"],
        ["/admin/tour/-/settings/webhooks", "admin / tour"],
        ["/-/tokens", /tokens/i],
        ["/-/notifications", "Notifications"],
        ["/-/notifications/settings", "Notifications"],
        ["/-/admin/users", /Administration|Users/],
        ["/-/admin/roles", /Administration|Roles/],
        ["/-/admin/clusters", /Administration|Clusters/],
        ["/-/admin/secrets", /Administration|Secrets/],
        ["/-/admin/webhooks", /Administration|Webhooks/],
        ["/-/admin/audit", /Administration|Audit/],
      ];
      for (const [width, height] of [
        [1280, 800],
        [360, 740],
      ]) {
        await page.setViewportSize({ width, height });
        for (const [path, heading] of pages) {
          await page.goto(`${hearth.url}${path}`);
          await page.getByRole("heading", { name: heading }).first().waitFor();
          // Let the page's queries settle before the picture.
          await settle();
          const name = path.replace(/[^a-z0-9]+/gi, "-").replace(/^-+|-+$/g, "") || "home";
          await screenshot(`${name}-${width}`);
          // Nothing may be wider than the screen but scrollable regions.
          const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
          expect(overflow, `${path} at ${width} px overflows by ${overflow} px`).toBeLessThanOrEqual(1);
        }
      }

      // Keyboard only: from the address bar's focus, Tab reaches the
      // project list's "New project" button, Enter opens its dialog and
      // Escape closes it.
      await page.setViewportSize({ width: 1280, height: 800 });
      await page.goto(`${hearth.url}/projects`);
      await page.getByRole("heading", { name: "Projects", exact: true }).waitFor();
      let reached = false;
      for (let i = 0; i < 25 && !reached; i++) {
        await page.keyboard.press("Tab");
        reached = await page.evaluate(() => document.activeElement?.textContent?.trim() === "New project");
      }
      expect(reached, "Tab never reached the New project button").toBe(true);
      await page.keyboard.press("Enter");
      await page.getByRole("dialog", { name: "New project" }).waitFor();
      await page.keyboard.press("Escape");
      await page.getByRole("dialog", { name: "New project" }).waitFor({ state: "hidden" });

      // The dark theme, kept across a reload.
      await page.getByRole("button", { name: "Switch to dark theme" }).click();
      await page.reload();
      await page.getByRole("button", { name: "Switch to light theme" }).waitFor();
      expect(await page.evaluate(() => document.documentElement.getAttribute("data-mantine-color-scheme"))).toBe("dark");
      for (const path of ["/admin/tour", "/admin/tour/-/issues/1", "/admin/tour/-/blob/main/src%2Fmain.go"]) {
        await page.goto(`${hearth.url}${path}`);
        await page.getByRole("heading").first().waitFor();
        await settle();
        await screenshot(`dark-${path.replace(/[^a-z0-9]+/gi, "-").replace(/^-+|-+$/g, "")}`);
      }
    } catch (err) {
      await screenshot("tour-failure");
      throw new Error(`${String(err)}\nproblems so far: ${problems.join("; ")}`);
    }
    expect(problems).toEqual([]);
  });
});
