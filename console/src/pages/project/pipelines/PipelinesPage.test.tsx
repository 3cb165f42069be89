import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { AuthService } from "../../../gen/hearth/v1/auth_pb";
import { PipelineService, PipelineState } from "../../../gen/hearth/v1/pipeline_pb";
import { ProjectService } from "../../../gen/hearth/v1/project_pb";
import { RepositoryService } from "../../../gen/hearth/v1/repository_pb";
import { ada, project, signedIn } from "../../../test/fixtures";
import { renderApp } from "../../../test/renderApp";
import { pipeline } from "./testData";

describe("pipelines list", () => {
  it("shows each pipeline's state, ref, commit and trigger, a page at a time", async () => {
    signedIn();
    const tokens: string[] = [];
    renderApp("/ada/tools/-/pipelines", (r) => {
      r.service(AuthService, { getMe: () => ({ user: ada }) });
      r.service(ProjectService, { getProject: (req) => ({ project: project(req.owner, req.name) }) });
      r.service(PipelineService, {
        listPipelines: (req) => {
          tokens.push(req.pageToken);
          if (req.pageToken === "") {
            return {
              pipelines: [
                pipeline(3, { state: PipelineState.FAILURE, ref: "refs/heads/feature/x", triggeredBy: ada.id }),
                pipeline(2, { state: PipelineState.SUCCESS, event: "schedule" }),
              ],
              nextPageToken: "page-2",
            };
          }
          return { pipelines: [pipeline(1, { state: PipelineState.CANCELLED, event: "manual" })] };
        },
      });
    });
    const table = await screen.findByRole("table", { name: "Pipelines" });
    const row3 = within(table).getByRole("link", { name: "Pipeline #3" }).closest("tr")!;
    expect(row3).toHaveTextContent("Failed");
    expect(row3).toHaveTextContent("feature/x");
    expect(row3).toHaveTextContent("01234567");
    expect(row3).toHaveTextContent("you");
    expect(row3).toHaveTextContent("1m 35s");
    expect(within(table).getByRole("link", { name: "Pipeline #3" })).toHaveAttribute("href", "/ada/tools/-/pipelines/p-3");
    const row2 = within(table).getByRole("link", { name: "Pipeline #2" }).closest("tr")!;
    expect(row2).toHaveTextContent("Passed");
    expect(row2).toHaveTextContent("schedule");
    expect(within(table).queryByRole("link", { name: "Pipeline #1" })).not.toBeInTheDocument();

    await userEvent.setup().click(screen.getByRole("button", { name: "Load more" }));
    const row1 = (await within(table).findByRole("link", { name: "Pipeline #1" })).closest("tr")!;
    expect(row1).toHaveTextContent("Cancelled");
    expect(tokens).toEqual(["", "page-2"]);
    expect(screen.queryByRole("button", { name: "Load more" })).not.toBeInTheDocument();
  });

  it("explains .hearth.yml when there are none, and runs one for a branch with variables", async () => {
    signedIn();
    let asked: { ref: string; variables: Record<string, string> } | null = null;
    const { router } = renderApp("/ada/tools/-/pipelines", (r) => {
      r.service(AuthService, { getMe: () => ({ user: ada }) });
      r.service(ProjectService, { getProject: (req) => ({ project: project(req.owner, req.name) }) });
      r.service(RepositoryService, {
        listBranches: () => ({
          defaultBranch: "main",
          branches: [
            { name: "main", isDefault: true },
            { name: "dev", isDefault: false },
          ],
        }),
      });
      r.service(PipelineService, {
        listPipelines: () => ({ pipelines: [] }),
        runPipeline: (req) => {
          asked = { ref: req.ref, variables: { ...req.variables } };
          return { pipeline: pipeline(1, { id: "p-new", state: PipelineState.PENDING }) };
        },
        getPipeline: () => ({ pipeline: pipeline(1, { id: "p-new", state: PipelineState.PENDING }) }),
      });
    });
    expect(await screen.findByText("No pipelines yet")).toBeInTheDocument();
    expect(screen.getByText(".hearth.yml")).toBeInTheDocument();
    const user = userEvent.setup();
    await user.click(screen.getAllByRole("button", { name: "Run pipeline" })[0]);
    const dialog = await screen.findByRole("dialog", { name: "Run pipeline" });
    await waitFor(() => expect(within(dialog).getByRole("textbox", { name: "Branch" })).toHaveValue("main (default)"));
    await user.click(within(dialog).getByRole("button", { name: "Add variable" }));
    await user.type(within(dialog).getByRole("textbox", { name: "Variable 1 name" }), "1BAD");
    expect(within(dialog).getByText(/not starting with a digit/)).toBeInTheDocument();
    expect(within(dialog).getByRole("button", { name: "Run pipeline" })).toBeDisabled();
    await user.clear(within(dialog).getByRole("textbox", { name: "Variable 1 name" }));
    await user.type(within(dialog).getByRole("textbox", { name: "Variable 1 name" }), "DEBUG");
    await user.type(within(dialog).getByRole("textbox", { name: "Variable 1 value" }), "1");
    await user.click(within(dialog).getByRole("button", { name: "Run pipeline" }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/ada/tools/-/pipelines/p-new"));
    expect(asked).toEqual({ ref: "main", variables: { DEBUG: "1" } });
  });
});
