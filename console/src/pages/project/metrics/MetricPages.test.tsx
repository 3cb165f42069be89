import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { AuthService } from "../../../gen/hearth/v1/auth_pb";
import { ObserveService, type QueryMetricsRequest } from "../../../gen/hearth/v1/observe_pb";
import { ProjectService } from "../../../gen/hearth/v1/project_pb";
import { ada, project, signedIn } from "../../../test/fixtures";
import { renderApp } from "../../../test/renderApp";

// jsdom has no canvas: uPlot is replaced by a stand-in that records what
// the chart gave it.
const charts = vi.hoisted(
  () =>
    [] as {
      opts: { series: { label?: string; show?: boolean }[]; scales: { x: { range?: unknown } } };
      data: unknown[][];
      shown: Map<number, boolean>;
      destroyed: boolean;
    }[],
);
vi.mock("uplot", () => ({
  default: class {
    series: { show?: boolean }[];
    rec: (typeof charts)[number];
    constructor(opts: (typeof charts)[number]["opts"], data: unknown[][], el: HTMLElement) {
      this.rec = { opts, data, shown: new Map(), destroyed: false };
      this.series = opts.series.map((s) => ({ show: s.show ?? true }));
      charts.push(this.rec);
      el.appendChild(document.createElement("canvas"));
    }
    setSize() {}
    setSeries(i: number, o: { show: boolean }) {
      this.series[i].show = o.show;
      this.rec.shown.set(i, o.show);
    }
    destroy() {
      this.rec.destroyed = true;
    }
  },
}));

const t0 = Date.UTC(2026, 11, 7, 10, 0, 0);
const at = (min: number) => timestampFromMs(t0 + min * 60_000);

function withProject(r: Parameters<Parameters<typeof renderApp>[1]>[0]) {
  r.service(AuthService, { getMe: () => ({ user: ada }) });
  r.service(ProjectService, { getProject: (req) => ({ project: project(req.owner, req.name) }) });
}

const metrics = [
  { name: "http.server.duration", kind: "histogram", unit: "ms" },
  { name: "http.requests", kind: "sum", unit: "1" },
  { name: "queue.depth", kind: "gauge", unit: "" },
];

describe("metrics", () => {
  it("lists the metrics by name, each linking to a chart suited to its kind", async () => {
    signedIn();
    renderApp("/ada/tools/-/metrics?range=24h", (r) => {
      withProject(r);
      r.service(ObserveService, { listMetrics: () => ({ metrics }) });
    });
    const table = await screen.findByRole("table", { name: "Metrics" });
    const links = within(table).getAllByRole("link");
    expect(links.map((a) => [a.textContent, a.getAttribute("href")])).toEqual([
      ["http.requests", "/ada/tools/-/metrics/http.requests?range=24h&agg=rate"],
      ["http.server.duration", "/ada/tools/-/metrics/http.server.duration?range=24h&agg=quantile"],
      ["queue.depth", "/ada/tools/-/metrics/queue.depth?range=24h"],
    ]);
    await userEvent.setup().type(screen.getByRole("searchbox", { name: "Filter metrics" }), "queue");
    expect(within(table).getAllByRole("link").map((a) => a.textContent)).toEqual(["queue.depth"]);
  });

  it("charts a metric as the URL says: aligned series, a legend that hides them, a new aggregation kept in the URL", async () => {
    signedIn();
    charts.length = 0;
    const asked: QueryMetricsRequest[] = [];
    const before = Date.now();
    const { router } = renderApp("/ada/tools/-/metrics/http.requests?agg=rate&by=route&label=service%3Dapi&step=1m&range=6h", (r) => {
      withProject(r);
      r.service(ObserveService, {
        listMetrics: () => ({ metrics }),
        queryMetrics: (req) => {
          asked.push(req);
          return {
            series: [
              { labels: { route: "/b" }, points: [{ time: at(0), value: 1 }, { time: at(1), value: 2 }] },
              { labels: { route: "/a" }, points: [{ time: at(1), value: 5 }, { time: at(2), value: 6 }] },
            ],
            stats: { filesScanned: 3n, filesConsidered: 4n, bytesRead: 2048n, hotRowsScanned: 12n },
          };
        },
      });
    });
    const chart = await screen.findByRole("img", { name: "Chart of 2 series over 3 steps" });
    expect(chart.querySelector("canvas")).not.toBeNull();
    expect(asked[0]).toMatchObject({ metric: "http.requests", aggregation: "rate", groupBy: ["route"], labels: ["service=api"], quantile: 0 });
    expect(asked[0].step).toMatchObject({ seconds: 60n, nanos: 0 });
    // Six hours ending now.
    const start = timestampMs(asked[0].startTime!);
    const end = timestampMs(asked[0].endTime!);
    expect(end - start).toBe(6 * 3600_000);
    expect(end).toBeGreaterThanOrEqual(before);

    const drawn = charts.at(-1)!;
    expect(drawn.data).toEqual([
      [0, 1, 2].map((m) => (t0 + m * 60_000) / 1000),
      [null, 5, 6],
      [1, 2, null],
    ]);
    expect(drawn.opts.series.slice(1).map((s) => s.label)).toEqual(['{route="/a"}', '{route="/b"}']);
    // The x axis spans the asked range, not just the points.
    expect(drawn.opts.scales.x.range).toEqual([start / 1000, end / 1000]);
    expect(screen.getByLabelText("Query statistics")).toHaveTextContent("3 of 4 files scanned");
    expect(await screen.findByText("sum")).toBeInTheDocument();

    const legend = screen.getByRole("list", { name: "Series" });
    // With no cursor over the chart, each series shows its newest value.
    expect(within(legend).getAllByRole("listitem").map((li) => li.textContent)).toEqual(['{route="/a"}6', '{route="/b"}2']);
    const user = userEvent.setup();
    await user.click(within(legend).getByRole("checkbox", { name: '{route="/b"}' }));
    await waitFor(() => expect(drawn.shown.get(2)).toBe(false));
    expect(screen.getByText("2 series, 1 hidden")).toBeInTheDocument();

    await user.click(screen.getByRole("textbox", { name: "Aggregation" }));
    await user.click(await screen.findByRole("option", { name: "Quantile (histograms)", hidden: true }));
    await waitFor(() => expect(new URLSearchParams(router.state.location.search).get("agg")).toBe("quantile"));
    await waitFor(() => expect(asked.at(-1)).toMatchObject({ aggregation: "quantile", quantile: 0.99 }));
    // The new answer made a new chart and the old one was let go.
    await waitFor(() => expect(charts.length).toBeGreaterThan(1));
    expect(drawn.destroyed).toBe(true);
  });

  it("refuses a step that would make too many points without asking", async () => {
    signedIn();
    let asked = 0;
    renderApp("/ada/tools/-/metrics/queue.depth?range=7d&step=10s", (r) => {
      withProject(r);
      r.service(ObserveService, {
        listMetrics: () => ({ metrics }),
        queryMetrics: () => {
          asked++;
          return { series: [] };
        },
      });
    });
    expect(await screen.findByText(/more than 11,000 points/)).toBeInTheDocument();
    expect(asked).toBe(0);
  });
});
