import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { launch, signIn } from "./browser";
import { startHearth, type Hearth } from "./hearth";

// Time to first render of a project page, and of the project list, on an
// installation holding 1,000 projects: from navigation start (a full page
// load, cold JavaScript cache) to the page's heading on screen, as the
// browser's own clock measures it. Figures are printed, not asserted.

const projects = Number(process.env.PERF_PROJECTS ?? 1000);
const samples = Number(process.env.PERF_SAMPLES ?? 15);

let hearth: Hearth;
let browser: Browser;
let token = "";

async function call(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${hearth.url}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  if (!res.ok) {
    throw new Error(`${path}: ${res.status} ${await res.text()}`);
  }
  return { json: (await res.json()) as Record<string, unknown>, cookie: res.headers.get("set-cookie") ?? "" };
}

beforeAll(async () => {
  hearth = await startHearth();
  browser = await launch();
  const login = await call("/hearth.v1.AuthService/Login", { username: "admin", password: hearth.adminPassword });
  const cookie = login.cookie.split(";")[0];
  const created = await call(
    "/hearth.v1.TokenService/CreateToken",
    { name: "perf", scopes: ["api"], expireTime: new Date(Date.now() + 86_400_000).toISOString() },
    { Cookie: cookie, "X-CSRF-Token": String(login.json.csrfToken) },
  );
  token = String(created.json.token);
  const names = Array.from({ length: projects }, (_, i) => `p${String(i).padStart(4, "0")}`);
  for (let i = 0; i < names.length; i += 8) {
    await Promise.all(
      names.slice(i, i + 8).map((name) =>
        call("/hearth.v1.ProjectService/CreateProject", { name, description: `project ${name}` }, { Authorization: `Bearer ${token}` }),
      ),
    );
  }
});

afterAll(async () => {
  await browser?.close();
  await hearth?.stop();
});

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

it(`renders a project page and the project list quickly with ${projects} projects`, async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await signIn(page, hearth.url, hearth.adminPassword);

  const measure = async (path: string, heading: string): Promise<number[]> => {
    const times: number[] = [];
    for (let i = 0; i < samples; i++) {
      const cdp = await context.newCDPSession(page);
      await cdp.send("Network.clearBrowserCache");
      await cdp.detach();
      await page.goto(`${hearth.url}${path}`);
      await page.getByRole("heading", { name: heading, exact: true }).waitFor();
      times.push(await page.evaluate(() => performance.now()));
    }
    return times.sort((a, b) => a - b);
  };
  const project = await measure("/admin/p0500", "admin / p0500");
  const list = await measure("/projects", "Projects");
  const report = (what: string, t: number[]) =>
    console.log(`${what}: p50 ${percentile(t, 50).toFixed(0)} ms, p95 ${percentile(t, 95).toFixed(0)} ms (${t.length} cold loads)`);
  report(`first render of a project page (${projects} projects)`, project);
  report(`first render of the project list (${projects} projects)`, list);
  expect(project.length).toBe(samples);
  await context.close();
});
