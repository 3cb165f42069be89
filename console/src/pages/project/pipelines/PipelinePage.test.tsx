import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { AuthService } from "../../../gen/hearth/v1/auth_pb";
import { PipelineService, PipelineState, type Pipeline } from "../../../gen/hearth/v1/pipeline_pb";
import { ProjectService } from "../../../gen/hearth/v1/project_pb";
import { ada, project, signedIn } from "../../../test/fixtures";
import { renderApp } from "../../../test/renderApp";
import { job, pipeline } from "./testData";

function render(p: Pipeline, calls: string[] = []) {
  signedIn();
  return renderApp(`/ada/tools/-/pipelines/${p.id}`, (r) => {
    r.service(AuthService, { getMe: () => ({ user: ada }) });
    r.service(ProjectService, { getProject: (req) => ({ project: project(req.owner, req.name) }) });
    r.service(PipelineService, {
      getPipeline: (req) => {
        expect(req.id).toBe(p.id);
        return { pipeline: p };
      },
      cancelPipeline: (req) => {
        calls.push(`cancel ${req.id}`);
        return { pipeline: p };
      },
      retryPipeline: (req) => {
        calls.push(`retry ${req.id}`);
        return { pipeline: p };
      },
    });
  });
}

describe("pipeline page", () => {
  it("lays the jobs out in columns by what they need, each linking to its job", async () => {
    render(
      pipeline(7, {
        id: "p-7",
        state: PipelineState.FAILURE,
        jobs: [
          job("build"),
          job("lint", { state: PipelineState.FAILURE }),
          job("test", { needs: ["build"] }),
          job("deploy", { needs: ["test", "lint"], state: PipelineState.SKIPPED, startTime: undefined, finishTime: undefined }),
          job("test", { id: "j-test-2", needs: ["build"], attempt: 2, state: PipelineState.SUCCESS }),
        ],
      }),
    );
    const graph = await screen.findByRole("group", { name: "Job graph" });
    const column = (name: string) =>
      within(within(graph).getByRole("region", { name }))
        .getAllByRole("link")
        .map((a) => a.getAttribute("data-job"));
    expect(column("Stage 1")).toEqual(["build", "lint"]);
    expect(column("Stage 2")).toEqual(["test"]);
    expect(column("Stage 3")).toEqual(["deploy"]);
    const test = within(graph).getByRole("link", { name: /^test: Passed/ });
    expect(test).toHaveAttribute("href", "/ada/tools/-/jobs/j-test-2");
    expect(test).toHaveTextContent("attempt 2");
    expect(test).toHaveTextContent("needs build");
    expect(within(graph).getByRole("link", { name: "deploy: Skipped" })).toHaveTextContent("needs test, lint");
    expect(within(graph).getByRole("link", { name: "lint: Failed, 30s" })).toBeInTheDocument();
    expect(graph.querySelectorAll("svg[data-edges] path")).toHaveLength(3);
  });

  it("cancels a running pipeline", async () => {
    const calls: string[] = [];
    render(pipeline(7, { id: "p-7", state: PipelineState.RUNNING, finishTime: undefined, jobs: [job("build", { state: PipelineState.RUNNING })] }), calls);
    await userEvent.setup().click(await screen.findByRole("button", { name: "Cancel pipeline" }));
    await waitFor(() => expect(calls).toEqual(["cancel p-7"]));
    expect(screen.queryByRole("button", { name: "Retry failed jobs" })).not.toBeInTheDocument();
  });

  it("retries a failed pipeline", async () => {
    const calls: string[] = [];
    render(pipeline(7, { id: "p-7", state: PipelineState.FAILURE, jobs: [job("build", { state: PipelineState.FAILURE })] }), calls);
    await userEvent.setup().click(await screen.findByRole("button", { name: "Retry failed jobs" }));
    await waitFor(() => expect(calls).toEqual(["retry p-7"]));
    expect(screen.queryByRole("button", { name: "Cancel pipeline" })).not.toBeInTheDocument();
  });

  it("shows why an invalid .hearth.yml stopped the pipeline", async () => {
    render(pipeline(7, { id: "p-7", state: PipelineState.FAILURE, error: "line 3, column 5: unknown key \"scirpt\"" }));
    const alert = (await screen.findByText(/\.hearth\.yml is not valid/)).closest('[role="alert"]');
    expect(alert).toHaveTextContent(".hearth.yml is not valid");
    expect(alert).toHaveTextContent('line 3, column 5: unknown key "scirpt"');
    expect(screen.queryByRole("group", { name: "Job graph" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Retry failed jobs" })).not.toBeInTheDocument();
  });
});
