import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page, type Request } from "playwright-core";

// Debian's chromium (apt-get install chromium); nothing downloads a browser.
export const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export const artifactsDir = join(__dirname, "artifacts");

// A page that remembers every console error and every 4xx/5xx response
// of the flow, so a test can require there were none.
export interface WatchedPage {
  page: Page;
  problems: string[];
  screenshot(name: string): Promise<void>;
  // settle waits until no request but the long-lived streams has been in
  // flight for half a second: Playwright's "networkidle" never comes while
  // the notification bell keeps its stream open.
  settle(): Promise<void>;
}

// Calls that stream for as long as the page is open.
const streams = /\/hearth\.v1\.[A-Za-z]+\/(WatchNotifications|FollowJobLog|TailLogs)$/;

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
  const inflight = new Set<Request>();
  page.on("request", (req) => {
    if (!streams.test(new URL(req.url()).pathname)) {
      inflight.add(req);
    }
  });
  page.on("requestfinished", (req) => inflight.delete(req));
  page.on("requestfailed", (req) => inflight.delete(req));
  return {
    page,
    problems,
    async screenshot(name: string) {
      await page.screenshot({ path: join(artifactsDir, `${name}.png`), fullPage: true });
    },
    async settle() {
      await page.waitForLoadState("load");
      const deadline = Date.now() + 30_000;
      let quietSince = 0;
      while (Date.now() < deadline) {
        if (inflight.size > 0) {
          quietSince = 0;
        } else if (!quietSince) {
          quietSince = Date.now();
        } else if (Date.now() - quietSince >= 500) {
          return;
        }
        await page.waitForTimeout(50);
      }
      throw new Error(`still in flight after 30 s: ${[...inflight].map((r) => r.url()).join(", ")}`);
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
