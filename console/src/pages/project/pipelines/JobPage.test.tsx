import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { fireEvent, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { AuthService } from "../../../gen/hearth/v1/auth_pb";
import {
  FollowJobLogResponseSchema,
  PipelineService,
  PipelineState,
  type FollowJobLogResponse,
  type Job,
} from "../../../gen/hearth/v1/pipeline_pb";
import { ProjectService } from "../../../gen/hearth/v1/project_pb";
import { ada, project, signedIn } from "../../../test/fixtures";
import { renderApp } from "../../../test/renderApp";
import { job, pipeline } from "./testData";

const enc = new TextEncoder();
const piece = (step: number, offset: number, data: Uint8Array, finalState = PipelineState.UNSPECIFIED): FollowJobLogResponse =>
  create(FollowJobLogResponseSchema, { step, offset: BigInt(offset), data, finalState });

// The log: step 0 (checkout) and step 1, with colours, HTML and multi-byte
// characters that the pieces below split.
const step0 = enc.encode("Cloning into ‘tools’…\n");
const step1 = enc.encode(
  Array.from({ length: 40 }, (_, i) => `line ${i + 1}\n`).join("") + "\x1b[31m<b>red & bold</b>\x1b[0m\nđone ✓ ok\n",
);

function render(j: Job, follow: (req: { step: number; offset: bigint }) => AsyncIterable<FollowJobLogResponse>, calls: string[] = []) {
  signedIn();
  return renderApp(`/ada/tools/-/jobs/${j.id}`, (r) => {
    r.service(AuthService, { getMe: () => ({ user: ada }) });
    r.service(ProjectService, { getProject: (req) => ({ project: project(req.owner, req.name) }) });
    r.service(PipelineService, {
      getJob: () => ({ job: j }),
      getPipeline: () => ({ pipeline: pipeline(7, { id: "p-7", jobs: [j] }) }),
      listArtifacts: () => ({
        artifacts: [{ id: "a-1", jobId: j.id, name: "dist.tar.gz", sizeBytes: 1400n }],
      }),
      cancelJob: (req) => {
        calls.push(`cancel ${req.id}`);
        return { job: j };
      },
      retryJob: (req) => {
        calls.push(`retry ${req.id}`);
        return { job: job(j.name, { id: "j-new", attempt: 2, state: PipelineState.PENDING }) };
      },
      followJobLog: (req) => follow(req),
    });
  });
}

describe("job page", () => {
  it("follows the log, resumes after a broken stream without gaps or repeats, with colours and escaped HTML", async () => {
    const asked: [number, bigint][] = [];
    const split0 = step0.indexOf(0x80); // inside the 3-byte ‘
    const euro = step1.indexOf(0xc4) + 1; // inside đ (2 bytes)
    const tick = step1.length - 5; // inside ✓ (3 bytes)
    const running = job("build", { state: PipelineState.RUNNING, finishTime: undefined, stepNames: ["checkout", "make"] });
    render(running, async function* (req) {
        asked.push([req.step, req.offset]);
        yield piece(req.step, Number(req.offset), new Uint8Array());
        if (asked.length === 1) {
          yield piece(0, 0, step0.subarray(0, split0));
          yield piece(0, split0, step0.subarray(split0));
          yield piece(1, 0, step1.subarray(0, 30));
          yield piece(1, 30, step1.subarray(30, 70));
          throw new ConnectError("connection reset", Code.Unavailable);
        }
        // The server may resend a little from before the position asked.
        yield piece(1, 60, step1.subarray(60, euro));
        yield piece(1, euro, step1.subarray(euro, tick));
        yield piece(1, tick, step1.subarray(tick));
        running.state = PipelineState.SUCCESS;
        yield piece(0, 0, new Uint8Array(), PipelineState.SUCCESS);
      });
    const log = await screen.findByRole("region", { name: "Job log" });
    expect(await screen.findByText("Complete")).toBeInTheDocument();
    expect(asked).toEqual([
      [0, 0n],
      [1, 70n],
    ]);
    await waitFor(() => expect(log).toHaveTextContent("đone ✓ ok"));
    expect(screen.getByTestId("log-step-0").textContent).toBe("Cloning into ‘tools’…\n");
    const text = screen.getByTestId("log-step-1").textContent!;
    const lines = text.split("\n");
    expect(lines.slice(0, 40)).toEqual(Array.from({ length: 40 }, (_, i) => `line ${i + 1}`));
    expect(lines.slice(40)).toEqual(["<b>red & bold</b>", "đone ✓ ok", ""]);
    // Colour as a styled span; the HTML in the log is text, not markup.
    const red = [...log.querySelectorAll("span")].find((s) => s.textContent === "<b>red & bold</b>");
    expect(red?.getAttribute("style")).toMatch(/color:rgb\(/);
    expect(log.querySelector("b")).toBeNull();
    expect(screen.getByRole("region", { name: "Step 1: make" })).toBeInTheDocument();
    // Finished: its artifacts, with the REST download link.
    expect(await screen.findByRole("link", { name: /dist\.tar\.gz/ })).toHaveAttribute("href", "/api/v1/artifacts/a-1/download");
  });

  it("stops following when the reader scrolls up, and follows again on request", async () => {
    render(job("build", { state: PipelineState.SUCCESS }), async function* () {
      yield piece(0, 0, enc.encode("a\nb\nc\n"), PipelineState.UNSPECIFIED);
      yield piece(0, 0, new Uint8Array(), PipelineState.SUCCESS);
    });
    const log = await screen.findByRole("region", { name: "Job log" });
    const follow = screen.getByRole("button", { name: "Follow" });
    expect(follow).toHaveAttribute("aria-pressed", "true");
    Object.defineProperty(log, "scrollHeight", { configurable: true, value: 1000 });
    Object.defineProperty(log, "clientHeight", { configurable: true, value: 100 });
    await userEvent.setup().click(follow); // off
    await userEvent.setup().click(follow); // on: to the end
    expect(log.scrollTop).toBe(1000);
    log.scrollTop = 200;
    fireEvent.scroll(log);
    expect(follow).toHaveAttribute("aria-pressed", "false");
    log.scrollTop = 900;
    fireEvent.scroll(log);
    expect(follow).toHaveAttribute("aria-pressed", "true");
  });

  it("retries a finished job and opens the new attempt; cancels a running one", async () => {
    const calls: string[] = [];
    const done = async function* () {
      yield piece(0, 0, new Uint8Array(), PipelineState.FAILURE);
    };
    const { router, unmount } = render(job("build", { state: PipelineState.FAILURE, message: "exit status 1 in step 1" }), done, calls);
    expect(await screen.findByText("exit status 1 in step 1")).toBeInTheDocument();
    await userEvent.setup().click(await screen.findByRole("button", { name: "Retry job" }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/ada/tools/-/jobs/j-new"));
    expect(calls).toEqual(["retry j-build"]);
    unmount();

    const running: string[] = [];
    render(job("build", { state: PipelineState.RUNNING, finishTime: undefined }), done, running);
    await userEvent.setup().click(await screen.findByRole("button", { name: "Cancel job" }));
    await waitFor(() => expect(running).toEqual(["cancel j-build"]));
  });
});
