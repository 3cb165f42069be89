import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { AuthService } from "../../../gen/hearth/v1/auth_pb";
import {
  LogRecordSchema,
  ObserveService,
  type LogRecord,
  type QueryLogsRequest,
  type TailLogsRequest,
  type TailLogsResponseSchema,
} from "../../../gen/hearth/v1/observe_pb";
import { ProjectService } from "../../../gen/hearth/v1/project_pb";
import { ada, project, signedIn } from "../../../test/fixtures";
import { renderApp } from "../../../test/renderApp";
import { serverStream } from "../../../test/serverStream";

const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";

function record(body: string, secondsAgo: number, fields: Omit<MessageInitShape<typeof LogRecordSchema>, "$typeName"> = {}): LogRecord {
  return create(LogRecordSchema, {
    time: timestampFromMs(Date.now() - secondsAgo * 1000),
    severityNumber: 9,
    service: "api",
    body,
    ...fields,
  });
}

function rows() {
  const table = screen.getByRole("table", { name: "Log records" });
  // Record rows carry their details toggle; expanded details do not.
  return within(table)
    .getAllByRole("row")
    .filter((r) => within(r).queryByRole("button", { name: /details of the record/ }));
}

function project_(r: Parameters<Parameters<typeof renderApp>[1]>[0]) {
  r.service(AuthService, { getMe: () => ({ user: ada }) });
  r.service(ProjectService, { getProject: (req) => ({ project: project(req.owner, req.name) }) });
}

describe("logs explorer", () => {
  it("asks with the URL's filters, shows records newest first, opens one, and loads more with the same window", async () => {
    signedIn();
    const asked: QueryLogsRequest[] = [];
    const before = Date.now();
    renderApp(`/ada/tools/-/logs?range=15m&service=api&severity=warn&attr=region%3Deu&q=timeout`, (r) => {
      project_(r);
      r.service(ObserveService, {
        queryLogs: (req) => {
          asked.push(req);
          if (req.pageToken === "") {
            return {
              logs: [
                record("upstream timeout after 30s", 5, {
                  severityNumber: 17,
                  severityText: "ERROR",
                  traceId,
                  spanId: "00f067aa0ba902b7",
                  attributes: { region: "eu", "http.route": "/users" },
                  resourceAttributes: { "service.name": "api", "host.name": "node-1" },
                }),
                record("slow timeout warning", 60, { severityNumber: 13 }),
              ],
              nextPageToken: "page-2",
              stats: { filesConsidered: 5n, filesScanned: 2n, bytesRead: 1200n, hotRowsScanned: 7n },
            };
          }
          return { logs: [record("an older timeout", 600, { severityNumber: 14, service: "worker" })] };
        },
      });
    });
    await screen.findByRole("table", { name: "Log records" });
    expect(asked[0]).toMatchObject({
      owner: "ada",
      name: "tools",
      services: ["api"],
      minSeverity: 13,
      attributes: ["region=eu"],
      contains: "timeout",
      regexp: "",
      pageSize: 100,
      pageToken: "",
    });
    // The last 15 minutes, open-ended (the server's default end).
    const start = timestampMs(asked[0].startTime!);
    expect(start).toBeGreaterThanOrEqual(before - 15 * 60_000 - 50);
    expect(start).toBeLessThanOrEqual(Date.now() - 15 * 60_000);
    expect(asked[0].endTime).toBeUndefined();

    expect(rows().map((r) => r.textContent)).toEqual([
      expect.stringMatching(/ERROR.*api.*upstream timeout after 30s$/),
      expect.stringMatching(/WARN|Warn.*slow timeout warning$/),
    ]);
    expect(within(rows()[0]).getByText("ERROR").closest("[data-level]")).toHaveAttribute("data-level", "error");
    expect(within(rows()[1]).getByText("Warn").closest("[data-level]")).toHaveAttribute("data-level", "warn");
    expect(screen.getByLabelText("Query statistics")).toHaveTextContent("2 of 5 files scanned · 1.2 KB read · 7 rows from memory");

    const user = userEvent.setup();
    await user.click(within(rows()[0]).getByRole("button", { name: /Show details/ }));
    expect(screen.getByRole("table", { name: "Attributes" })).toHaveTextContent("http.route/users");
    expect(screen.getByRole("table", { name: "Resource attributes" })).toHaveTextContent("host.namenode-1");
    expect(screen.getByRole("link", { name: traceId })).toHaveAttribute("href", `/ada/tools/-/traces/${traceId}`);

    await user.click(screen.getByRole("button", { name: "Load more" }));
    await waitFor(() => expect(rows()).toHaveLength(3));
    expect(rows()[2]).toHaveTextContent("an older timeout");
    expect(asked[1]).toMatchObject({ pageToken: "page-2", contains: "timeout", minSeverity: 13 });
    // The next page covers the same window as the first.
    expect(asked[1].startTime).toEqual(asked[0].startTime);
    expect(screen.queryByRole("button", { name: "Load more" })).not.toBeInTheDocument();
    expect(screen.getByText(/3 records: that is all in the last 15 minutes/)).toBeInTheDocument();
  });

  it("keeps a new minimum severity and a regexp search in the URL and asks again", async () => {
    signedIn();
    const asked: QueryLogsRequest[] = [];
    const { router } = renderApp("/ada/tools/-/logs", (r) => {
      project_(r);
      r.service(ObserveService, {
        queryLogs: (req) => {
          asked.push(req);
          return { logs: [] };
        },
      });
    });
    expect(await screen.findByText("No log records")).toBeInTheDocument();
    expect(asked[0]).toMatchObject({ minSeverity: 0, services: [], contains: "", regexp: "" });

    const user = userEvent.setup();
    await user.click(screen.getByRole("textbox", { name: "Minimum severity" }));
    await user.click(await screen.findByRole("option", { name: "Error and above", hidden: true }));
    await waitFor(() => expect(router.state.location.search).toBe("?severity=error"));
    await waitFor(() => expect(asked.at(-1)).toMatchObject({ minSeverity: 17 }));

    await user.click(screen.getByRole("checkbox", { name: "Regexp" }));
    await user.type(screen.getByRole("textbox", { name: "Body matches (RE2)" }), "time(out|d){enter}");
    await waitFor(() => expect(router.state.location.search).toBe("?severity=error&q=time%28out%7Cd%29&re=1"));
    await waitFor(() => expect(asked.at(-1)).toMatchObject({ minSeverity: 17, regexp: "time(out|d)", contains: "" }));
  });

  it("tails live: new records on top, drops counted, the stream closed when turned off", async () => {
    signedIn();
    const tail = serverStream<TailLogsRequest, MessageInitShape<typeof TailLogsResponseSchema>>({});
    const { router } = renderApp("/ada/tools/-/logs?severity=info&service=api", (r) => {
      project_(r);
      r.service(ObserveService, {
        queryLogs: () => ({ logs: [record("already here", 30)] }),
        tailLogs: tail.handler,
      });
    });
    await screen.findByText("already here");
    const user = userEvent.setup();
    await user.click(screen.getByRole("switch", { name: "Live tail" }));
    expect(await screen.findByText("Live")).toBeInTheDocument();
    expect(tail.calls).toHaveLength(1);
    expect(tail.calls[0].req).toMatchObject({ owner: "ada", name: "tools", minSeverity: 9, services: ["api"] });
    // The time range does not apply to a tail.
    expect(screen.getByRole("radio", { name: "1h" })).toBeDisabled();

    tail.push({ logs: [record("first new", 1), record("second new", 0)] });
    await waitFor(() => expect(rows()[0]).toHaveTextContent("second new"));
    expect(rows().map((r) => r.textContent?.replace(/^.*api/, ""))).toEqual(["second new", "first new", "already here"]);

    tail.push({ dropped: 5n });
    expect(await screen.findByText("5 dropped")).toBeInTheDocument();

    await user.click(screen.getByRole("switch", { name: "Live tail" }));
    await waitFor(() => expect(tail.open).toBe(false));
    expect(screen.queryByText("Live")).not.toBeInTheDocument();
    expect(rows()).toHaveLength(1);

    // On again, then away to another tab: leaving the page ends the stream.
    await user.click(screen.getByRole("switch", { name: "Live tail" }));
    await waitFor(() => expect(tail.calls).toHaveLength(2));
    expect(tail.open).toBe(true);
    await router.navigate("/ada/tools/-/issues");
    await waitFor(() => expect(tail.open).toBe(false));
  });
});
