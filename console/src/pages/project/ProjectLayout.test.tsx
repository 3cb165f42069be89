import { Code, ConnectError } from "@connectrpc/connect";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { AuthService } from "../../gen/hearth/v1/auth_pb";
import { ProjectService, Visibility } from "../../gen/hearth/v1/project_pb";
import { ada, project, signedIn } from "../../test/fixtures";
import { renderApp } from "../../test/renderApp";

describe("project page", () => {
  it("shows the project with its tabs, and a tab's URL selects it", async () => {
    signedIn();
    const { router } = renderApp("/ada/tools/-/issues", (r) => {
      r.service(AuthService, { getMe: () => ({ user: ada }) });
      r.service(ProjectService, {
        getProject: (req) => ({
          project: project(req.owner, req.name, { visibility: Visibility.PUBLIC, description: "build helpers", archived: true }),
        }),
      });
    });
    expect(await screen.findByRole("heading", { name: "ada / tools" })).toBeInTheDocument();
    expect(screen.getByText("build helpers")).toBeInTheDocument();
    expect(screen.getByText("Archived")).toBeInTheDocument();
    expect(screen.getByRole("tab", { name: "Issues" })).toHaveAttribute("aria-selected", "true");
    await userEvent.setup().click(screen.getByRole("tab", { name: "Pipelines" }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/ada/tools/-/pipelines"));
    await waitFor(() => expect(screen.getByRole("tab", { name: "Pipelines" })).toHaveAttribute("aria-selected", "true"));
  });

  it("says so when the project cannot be found", async () => {
    signedIn();
    renderApp("/ada/secret", (r) => {
      r.service(AuthService, { getMe: () => ({ user: ada }) });
      r.service(ProjectService, {
        getProject: () => {
          throw new ConnectError("project not found", Code.NotFound);
        },
      });
    });
    expect(await screen.findByRole("alert")).toHaveTextContent("Could not open ada/secret");
    expect(screen.getByRole("link", { name: "Back to the projects" })).toBeInTheDocument();
  });
});
