import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";

// Debian's chromium (apt-get install chromium); nothing downloads a browser.
export const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export const artifactsDir = join(__dirname, "artifacts");

// A page that remembers every console error and every 4xx/5xx response
// of the flow, so a test can require there were none.
export interface WatchedPage {
  page: Page;
  problems: string[];
  screenshot(name: string): Promise<void>;
}

export async function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
}

export async function watchedPage(browser: Browser, width = 1280, height = 800): Promise<WatchedPage> {
  mkdirSync(artifactsDir, { recursive: true });
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") {
      problems.push(`console error: ${msg.text()}`);
    }
  });
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  page.on("response", (res) => {
    if (res.status() >= 400) {
      problems.push(`${res.status()} ${res.request().method()} ${res.url()}`);
    }
  });
  return {
    page,
    problems,
    async screenshot(name: string) {
      await page.screenshot({ path: join(artifactsDir, `${name}.png`), fullPage: true });
    },
  };
}

// signIn signs in as the administrator through the sign-in form and waits
// for the project list.
export async function signIn(page: Page, baseURL: string, password: string, path = "/") {
  await page.goto(`${baseURL}${path}`);
  await page.getByLabel("Username or email").fill("admin");
  await page.locator("input[name=password]").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Projects", exact: true }).waitFor();
}
