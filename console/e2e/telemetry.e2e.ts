import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProjectService } from "../src/gen/hearth/v1/project_pb";
import { TokenService } from "../src/gen/hearth/v1/token_pb";
import { apiLogin } from "./api";
import { launch, signIn, watchedPage } from "./browser";
import { startHearth, type Hearth } from "./hearth";
import { gaugeExport, logsExport, postOTLP, tracesExport } from "./otlp";

// Telemetry end to end: a project gets a token restricted to it with
// observe:write; logs, a two-span trace and a gauge are sent over
// OTLP/HTTP (JSON) like any workload would; the console's logs explorer,
// live tail, trace search, waterfall and metric chart show them. No
// console errors and no 4xx/5xx on the way; screenshots in artifacts/.

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

const traceId = "5b8efff798038103d269b633813fc60c";
const rootSpan = "eee19b7ec3c1b174";
const childSpan = "0d7ce0d1e43ab0b5";

describe("telemetry in the console", () => {
  it("shows logs (filtered and live), a trace's waterfall and a metric's chart", async () => {
    const { page, problems, screenshot, settle } = await watchedPage(browser);
    try {
      const token = await seed();
      await signIn(page, hearth.url, hearth.adminPassword);
      await logs(page, token, screenshot);
      await traces(page, screenshot);
      await metrics(page, screenshot, settle);
    } catch (err) {
      await screenshot("telemetry-failure");
      throw new Error(`${String(err)}\nproblems so far: ${problems.join("; ")}`);
    }
    expect(problems).toEqual([]);
  });
});

// seed creates the project and its observe:write token through the API
// and sends the telemetry; it returns the token.
async function seed(): Promise<string> {
  const api = await apiLogin(hearth.url, "admin", hearth.adminPassword);
  const created = await api.client(ProjectService).createProject({ name: "telemetry", description: "OTLP end to end" });
  const projectId = created.project!.id;
  const { token } = await api.client(TokenService).createToken({
    name: "otel",
    scopes: ["observe:write"],
    projectId,
    expireTime: timestampFromMs(Date.now() + 3600_000),
  });
  expect(token).toMatch(/^hth_/);

  const now = Date.now();
  await postOTLP(
    hearth.url,
    token,
    "logs",
    logsExport("checkout", [
      { atMs: now - 180_000, severityNumber: 9, severityText: "INFO", body: "order 41 accepted", attributes: { "order.id": "41" } },
      { atMs: now - 120_000, severityNumber: 13, severityText: "WARN", body: "inventory low for sku 7", attributes: { sku: "7" } },
      {
        atMs: now - 60_000,
        severityNumber: 17,
        severityText: "ERROR",
        body: "payment declined for order 42",
        attributes: { "order.id": "42" },
        traceId,
        spanId: childSpan,
      },
    ]),
  );
  const start = now - 90_000;
  await postOTLP(
    hearth.url,
    token,
    "traces",
    tracesExport([
      {
        service: "checkout",
        traceId,
        spanId: rootSpan,
        name: "POST /checkout",
        kind: 2,
        startMs: start,
        durationMs: 120,
        status: { code: 1 },
        attributes: { "http.route": "/checkout", "http.status_code": "402" },
      },
      {
        service: "payments",
        traceId,
        spanId: childSpan,
        parentSpanId: rootSpan,
        name: "charge card",
        kind: 3,
        startMs: start + 20,
        durationMs: 70,
        status: { code: 2, message: "card declined" },
        attributes: { "payment.provider": "acme" },
        events: [{ atMs: start + 60, name: "retry", attributes: { attempt: "2" } }],
      },
    ]),
  );
  // A gauge per queue, every 30 s over the last five minutes.
  const points = [];
  for (let i = 10; i >= 0; i--) {
    points.push({ atMs: now - i * 30_000, value: 10 + i, labels: { queue: "orders" } });
    points.push({ atMs: now - i * 30_000, value: 3 + (i % 4), labels: { queue: "emails" } });
  }
  await postOTLP(hearth.url, token, "metrics", gaugeExport("checkout", "e2e.queue.depth", "1", points));
  return token;
}

// bodies are the log records' bodies in the table, top to bottom.
async function bodies(page: Page): Promise<string[]> {
  const rows = page.getByRole("table", { name: "Log records" }).locator("tbody tr[data-severity]");
  return rows.evaluateAll((trs) => trs.map((tr) => (tr.lastElementChild?.textContent ?? "").trim()));
}

async function logs(page: Page, token: string, screenshot: (name: string) => Promise<void>) {
  await page.goto(`${hearth.url}/admin/telemetry`);
  await page.getByRole("tab", { name: "Logs" }).click();
  await page.getByRole("heading", { name: "Logs" }).waitFor();
  const table = page.getByRole("table", { name: "Log records" });
  await table.getByText("order 41 accepted").waitFor();
  // Newest first.
  expect(await bodies(page)).toEqual(["payment declined for order 42", "inventory low for sku 7", "order 41 accepted"]);
  await page.getByLabel("Query statistics").waitFor();
  await screenshot("telemetry-logs");

  // Error and above: the warning and the info go, and the URL keeps it.
  await page.getByRole("textbox", { name: "Minimum severity" }).click();
  await page.getByRole("option", { name: "Error and above" }).click();
  await table.getByText("inventory low for sku 7").waitFor({ state: "detached" });
  expect(await bodies(page)).toEqual(["payment declined for order 42"]);
  expect(new URL(page.url()).searchParams.get("severity")).toBe("error");
  await page.reload();
  await table.getByText("payment declined for order 42").waitFor();
  expect(await bodies(page)).toEqual(["payment declined for order 42"]);
  expect(await page.getByRole("textbox", { name: "Minimum severity" }).inputValue()).toBe("Error and above");

  // A record opens to its attributes and its trace.
  await table.getByRole("button", { name: /Show details of the record/ }).first().click();
  await page.getByRole("table", { name: "Attributes" }).getByText("order.id").waitFor();
  await page.getByRole("link", { name: traceId }).waitFor();
  await screenshot("telemetry-logs-error-expanded");

  // Live tail: a record posted now appears on top.
  await page.getByRole("switch", { name: "Live tail" }).click();
  await page.getByText("Live", { exact: true }).waitFor();
  const fresh = `payment gateway timed out at ${new Date().toISOString()}`;
  await postOTLP(hearth.url, token, "logs", logsExport("checkout", [{ atMs: Date.now(), severityNumber: 18, severityText: "ERROR", body: fresh }]));
  // An info record does not pass the filter and never shows.
  await postOTLP(hearth.url, token, "logs", logsExport("checkout", [{ atMs: Date.now(), severityNumber: 9, severityText: "INFO", body: "ignored by the tail" }]));
  await table.getByText(fresh).waitFor({ timeout: 30_000 });
  expect((await bodies(page))[0]).toBe(fresh);
  expect(await bodies(page)).not.toContain("ignored by the tail");
  await screenshot("telemetry-live-tail");
  await page.getByRole("switch", { name: "Live tail" }).click();
  await page.getByText("Live", { exact: true }).waitFor({ state: "detached" });
}

async function traces(page: Page, screenshot: (name: string) => Promise<void>) {
  await page.getByRole("tab", { name: "Traces" }).click();
  await page.getByRole("heading", { name: "Traces" }).waitFor();
  // Search by service and status.
  await page.getByRole("textbox", { name: "Service" }).fill("payments");
  await page.getByRole("textbox", { name: "Status" }).click();
  await page.getByRole("option", { name: "Error" }).click();
  await page.getByRole("button", { name: "Search" }).click();
  const link = page.getByRole("table", { name: "Traces" }).getByRole("link", { name: "checkout: POST /checkout" });
  await link.waitFor();
  const row = link.locator("xpath=ancestor::tr");
  expect(await row.innerText()).toMatch(/120 ms\s+2\s+1/);
  expect(new URL(page.url()).searchParams.get("service")).toBe("payments");
  await screenshot("telemetry-traces");

  await link.click();
  const spans = page.getByRole("list", { name: "Spans" });
  await spans.waitFor();
  const items = spans.getByRole("listitem");
  expect(await items.evaluateAll((els) => els.map((e) => [e.getAttribute("data-span-id"), e.getAttribute("data-depth")]))).toEqual([
    [rootSpan, "0"],
    [childSpan, "1"],
  ]);
  // The child's bar starts a sixth of the way in (20 of 120 ms).
  const left = await items.nth(1).getByTestId("span-bar").evaluate((el) => (el as HTMLElement).style.left);
  expect(parseFloat(left)).toBeCloseTo(16.667, 1);
  await items.nth(1).getByRole("button", { name: /charge card \(payments\), 70 ms, failed/ }).click();
  const details = page.getByRole("complementary", { name: "Span details" });
  await details.getByText("card declined").waitFor();
  await details.getByRole("list", { name: "Span events" }).getByText("retry").waitFor();
  await screenshot("telemetry-trace-waterfall");
}

async function metrics(page: Page, screenshot: (name: string) => Promise<void>, settle: () => Promise<void>) {
  await page.getByRole("tab", { name: "Metrics" }).click();
  await page.getByRole("heading", { name: "Metrics" }).waitFor();
  const link = page.getByRole("table", { name: "Metrics" }).getByRole("link", { name: "e2e.queue.depth" });
  await link.waitFor();
  await screenshot("telemetry-metrics");
  await link.click();
  const chart = page.locator('[role="img"][data-series]');
  await chart.waitFor();
  expect(Number(await chart.getAttribute("data-points"))).toBeGreaterThanOrEqual(5);

  // One series per queue.
  const groupBy = page.getByRole("textbox", { name: "Group by" });
  await groupBy.fill("queue");
  await groupBy.press("Enter");
  await page.locator('[role="img"][data-series="2"]').waitFor();
  const legend = page.getByRole("list", { name: "Series" });
  await legend.getByText('{queue="emails"}').waitFor();
  await legend.getByText('{queue="orders"}').waitFor();
  expect(new URL(page.url()).searchParams.getAll("by")).toEqual(["queue"]);
  await settle();

  // uPlot drew lines on its canvas: count the pixels in the series' colours.
  const painted = await page.locator('[role="img"][data-series="2"] canvas').evaluate((c) => {
    const canvas = c as HTMLCanvasElement;
    const data = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
      const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
      // Saturated pixels: lines, not the grey axes and grid.
      if (a > 200 && Math.max(r, g, b) - Math.min(r, g, b) > 80) {
        n++;
      }
    }
    return n;
  });
  expect(painted).toBeGreaterThan(100);
  await screenshot("telemetry-metric-chart");

  // Narrow screens: the pages fit, wide content scrolls inside them.
  await page.setViewportSize({ width: 360, height: 740 });
  for (const path of ["logs", `traces/${traceId}`, "metrics/e2e.queue.depth?by=queue"]) {
    await page.goto(`${hearth.url}/admin/telemetry/-/${path}`);
    await page.getByRole("heading", { name: "admin / telemetry" }).waitFor();
    await settle();
    await screenshot(`telemetry-${path.replace(/[^a-z0-9]+/gi, "-").replace(/-+$/, "")}-360`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `${path} at 360 px overflows by ${overflow} px`).toBeLessThanOrEqual(1);
  }
  await page.setViewportSize({ width: 1280, height: 800 });
}
