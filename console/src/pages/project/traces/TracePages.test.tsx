import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { msToDuration } from "../../../components/telemetry/duration";
import { AuthService } from "../../../gen/hearth/v1/auth_pb";
import { ObserveService, SpanSchema, type GetTraceRequest, type SearchTracesRequest, type Span } from "../../../gen/hearth/v1/observe_pb";
import { ProjectService } from "../../../gen/hearth/v1/project_pb";
import { ada, project, signedIn } from "../../../test/fixtures";
import { renderApp } from "../../../test/renderApp";

const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
const t0 = Date.UTC(2026, 11, 7, 10, 0, 0);

function span(id: string, parent: string, name: string, service: string, startMs: number, durMs: number, extra: Omit<MessageInitShape<typeof SpanSchema>, "$typeName"> = {}): Span {
  return create(SpanSchema, {
    traceId,
    spanId: id,
    parentSpanId: parent,
    name,
    service,
    kind: "server",
    status: "ok",
    startTime: timestampFromMs(t0 + startMs),
    duration: msToDuration(durMs),
    ...extra,
  });
}

function withProject(r: Parameters<Parameters<typeof renderApp>[1]>[0]) {
  r.service(AuthService, { getMe: () => ({ user: ada }) });
  r.service(ProjectService, { getProject: (req) => ({ project: project(req.owner, req.name) }) });
}

describe("trace search", () => {
  it("searches with the URL's fields, lists what it finds, and keeps a new search in the URL", async () => {
    signedIn();
    const asked: SearchTracesRequest[] = [];
    const { router } = renderApp("/ada/tools/-/traces?service=api&status=error&min=100ms&range=6h", (r) => {
      withProject(r);
      r.service(ObserveService, {
        searchTraces: (req) => {
          asked.push(req);
          return {
            traces: [
              {
                traceId,
                rootService: "api",
                rootName: "GET /users",
                startTime: timestampFromMs(t0),
                duration: msToDuration(1250),
                spanCount: 7,
                errorCount: 2,
              },
            ],
            stats: { filesScanned: 1n, filesConsidered: 1n, bytesRead: 10n },
          };
        },
      });
    });
    const table = await screen.findByRole("table", { name: "Traces" });
    expect(screen.getByRole("tab", { name: "Traces" })).toHaveAttribute("aria-selected", "true");
    expect(asked[0]).toMatchObject({ service: "api", status: "error", operation: "", limit: 50 });
    expect(asked[0].minDuration).toMatchObject({ seconds: 0n, nanos: 100_000_000 });
    const link = within(table).getByRole("link", { name: "api: GET /users" });
    expect(link).toHaveAttribute("href", `/ada/tools/-/traces/${traceId}`);
    const row = link.closest("tr")!;
    expect(row).toHaveTextContent("1.25 s");
    expect(row).toHaveTextContent("7");
    expect(row).toHaveTextContent("2");

    const user = userEvent.setup();
    await user.type(screen.getByRole("textbox", { name: "Operation" }), "GET /users");
    await user.clear(screen.getByRole("textbox", { name: "Min duration" }));
    await user.type(screen.getByRole("textbox", { name: "Max duration" }), "soon");
    expect(screen.getByRole("button", { name: "Search" })).toBeDisabled();
    await user.clear(screen.getByRole("textbox", { name: "Max duration" }));
    await user.type(screen.getByRole("textbox", { name: "Max duration" }), "2s");
    await user.click(screen.getByRole("button", { name: "Search" }));
    await waitFor(() =>
      expect(Object.fromEntries(new URLSearchParams(router.state.location.search))).toEqual({
        range: "6h",
        service: "api",
        op: "GET /users",
        max: "2s",
        status: "error",
      }),
    );
    await waitFor(() => expect(asked.at(-1)).toMatchObject({ operation: "GET /users" }));
    expect(asked.at(-1)!.minDuration).toBeUndefined();
    expect(asked.at(-1)!.maxDuration).toMatchObject({ seconds: 2n, nanos: 0 });
  });
});

describe("trace waterfall", () => {
  it("shows spans nested in start order with bars placed in time, and a span's details on click", async () => {
    signedIn();
    const asked: GetTraceRequest[] = [];
    renderApp(`/ada/tools/-/traces/${traceId.toUpperCase()}`, (r) => {
      withProject(r);
      r.service(ObserveService, {
        getTrace: (req) => {
          asked.push(req);
          return {
            spans: [
              span("a1", "", "GET /users", "api", 0, 200, { attributes: { "http.route": "/users" }, resourceAttributes: { "host.name": "node-1" } }),
              span("b2", "a1", "SELECT users", "db", 150, 40, {
                status: "error",
                statusMessage: "deadlock",
                kind: "client",
                events: [{ time: timestampFromMs(t0 + 160), name: "retry", attributes: { attempt: "2" } }],
              }),
              span("c3", "a1", "auth.check", "auth", 20, 50),
              span("d4", "gone", "late callback", "api", 100, 100),
            ],
          };
        },
      });
    });
    const list = await screen.findByRole("list", { name: "Spans" });
    expect(asked[0]).toMatchObject({ owner: "ada", name: "tools", traceId });
    expect(screen.getByRole("heading", { name: "api: GET /users" })).toBeInTheDocument();
    const items = within(list).getAllByRole("listitem");
    expect(items.map((i) => [i.getAttribute("data-span-id"), i.getAttribute("data-depth")])).toEqual([
      ["a1", "0"],
      ["c3", "1"],
      ["b2", "1"],
      ["d4", "0"],
    ]);
    // The bars: SELECT users starts at 150 of 200 ms and lasts 40.
    const bar = within(items[2]).getByTestId("span-bar");
    expect(parseFloat(bar.style.left)).toBe(75);
    expect(bar.style.width).toMatch(/^max\(2px, 20(\.0+)?%\)$/);
    expect(within(items[2]).getByRole("button")).toHaveAccessibleName("SELECT users (db), 40 ms, failed");
    expect(screen.getByLabelText("Trace summary")).toHaveTextContent("4 spans");
    expect(screen.getByLabelText("Trace summary")).toHaveTextContent("1 error");

    const user = userEvent.setup();
    await user.click(within(items[2]).getByRole("button"));
    const details = screen.getByRole("complementary", { name: "Span details" });
    expect(within(details).getByRole("heading", { name: "SELECT users" })).toBeInTheDocument();
    expect(details).toHaveTextContent("deadlock");
    expect(details).toHaveTextContent("+150 ms");
    expect(within(details).getByRole("list", { name: "Span events" })).toHaveTextContent("+10 ms retry");
    expect(within(details).getByRole("table", { name: "Attributes of retry" })).toHaveTextContent("attempt2");

    await user.click(within(items[0]).getByRole("button"));
    const root = screen.getByRole("complementary", { name: "Span details" });
    expect(within(root).getByRole("table", { name: "Span attributes" })).toHaveTextContent("http.route/users");
    expect(within(root).getByRole("table", { name: "Resource attributes" })).toHaveTextContent("host.namenode-1");
    await user.click(within(root).getByRole("button", { name: "Close span details" }));
    expect(screen.queryByRole("complementary", { name: "Span details" })).not.toBeInTheDocument();
  });

  it("says so when the trace has no spans, and refuses an id that is not one", async () => {
    signedIn();
    let calls = 0;
    const { router } = renderApp(`/ada/tools/-/traces/${traceId}`, (r) => {
      withProject(r);
      r.service(ObserveService, {
        getTrace: () => {
          calls++;
          return { spans: [] };
        },
      });
    });
    expect(await screen.findByText("Trace not found")).toBeInTheDocument();
    await router.navigate("/ada/tools/-/traces/not-a-trace");
    expect(await screen.findByText("Not a trace id")).toBeInTheDocument();
    expect(calls).toBe(1);
  });
});
