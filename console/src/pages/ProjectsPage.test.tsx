import { Code, ConnectError } from "@connectrpc/connect";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { AuthService } from "../gen/hearth/v1/auth_pb";
import { ProjectService, Visibility, type Project } from "../gen/hearth/v1/project_pb";
import { ada, project, signedIn } from "../test/fixtures";
import { renderApp } from "../test/renderApp";

const all = [
  project("ada", "demo", { description: "A first project", visibility: Visibility.PUBLIC }),
  project("ada", "tools", { archived: true }),
  project("platform", "deploy-scripts", { visibility: Visibility.INTERNAL }),
];

function matching(search: string): Project[] {
  const s = search.toLowerCase();
  return all.filter((p) => `${p.owner}/${p.name}`.includes(s) || p.description.toLowerCase().includes(s));
}

const me = { getMe: () => ({ user: ada, permissions: [] }) };

describe("projects", () => {
  it("lists the projects and searches them through the API", async () => {
    signedIn();
    const searches: string[] = [];
    const { router } = renderApp("/projects", (r) => {
      r.service(AuthService, me);
      r.service(ProjectService, {
        listProjects: (req) => {
          searches.push(req.search);
          return { projects: matching(req.search) };
        },
      });
    });

    const list = await screen.findByRole("list", { name: "Projects" });
    expect(within(list).getAllByRole("listitem").map((li) => li.getAttribute("aria-label"))).toEqual([
      "ada/demo",
      "ada/tools",
      "platform/deploy-scripts",
    ]);
    const demo = within(list).getByRole("listitem", { name: "ada/demo" });
    expect(demo).toHaveTextContent("A first project");
    expect(demo).toHaveTextContent("Public");
    expect(within(list).getByRole("listitem", { name: "ada/tools" })).toHaveTextContent("Archived");

    await userEvent.setup().type(screen.getByRole("searchbox", { name: "Search projects" }), "deploy");
    await waitFor(() =>
      expect(screen.getByRole("list", { name: "Projects" }).querySelectorAll("li")).toHaveLength(1),
    );
    expect(screen.getByRole("listitem", { name: "platform/deploy-scripts" })).toBeInTheDocument();
    expect(searches.at(-1)).toBe("deploy");
    // Debounced: not one request per keystroke.
    expect(searches.length).toBeLessThanOrEqual(3);
    // The search is part of the URL, so it survives a reload.
    expect(router.state.location.search).toBe("?q=deploy");
  });

  it("starts from the search in the URL and says when nothing matches", async () => {
    signedIn();
    renderApp("/projects?q=nothing-like-this", (r) => {
      r.service(AuthService, me);
      r.service(ProjectService, { listProjects: (req) => ({ projects: matching(req.search) }) });
    });
    expect(await screen.findByRole("heading", { name: "No matching projects" })).toBeInTheDocument();
    expect(screen.getByRole("searchbox", { name: "Search projects" })).toHaveValue("nothing-like-this");
  });

  it("shows an empty state that offers to create the first project", async () => {
    signedIn();
    renderApp("/projects", (r) => {
      r.service(AuthService, me);
      r.service(ProjectService, { listProjects: () => ({ projects: [] }) });
    });
    expect(await screen.findByRole("heading", { name: "No projects yet" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Create a project" })).toBeInTheDocument();
  });

  it("explains a failure in words and can retry", async () => {
    signedIn();
    let calls = 0;
    renderApp("/projects", (r) => {
      r.service(AuthService, me);
      r.service(ProjectService, {
        listProjects: () => {
          calls++;
          if (calls === 1) {
            throw new ConnectError("the token's scopes do not allow this", Code.PermissionDenied);
          }
          return { projects: all };
        },
      });
    });
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Could not load projects");
    expect(alert).toHaveTextContent("the token's scopes do not allow this");

    await userEvent.setup().click(within(alert).getByRole("button", { name: "Try again" }));
    expect(await screen.findByRole("listitem", { name: "ada/demo" })).toBeInTheDocument();
  });

  it("creates a project, sending the CSRF token, and opens it", async () => {
    signedIn("csrf-abc");
    const created: Project[] = [];
    const csrfHeaders: (string | null)[] = [];
    const listHeaders: (string | null)[] = [];
    const { router } = renderApp("/projects", (r) => {
      r.service(AuthService, me);
      r.service(ProjectService, {
        listProjects: (_req, ctx) => {
          listHeaders.push(ctx.requestHeader.get("X-CSRF-Token"));
          return { projects: created };
        },
        getProject: (req) => ({ project: created.find((p) => p.name === req.name) }),
        createProject: (req, ctx) => {
          csrfHeaders.push(ctx.requestHeader.get("X-CSRF-Token"));
          if (req.name === "taken") {
            throw new ConnectError('project "ada/taken" already exists', Code.AlreadyExists);
          }
          const p = project("ada", req.name, { description: req.description, visibility: req.visibility });
          created.push(p);
          return { project: p };
        },
      });
    });
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Create a project" }));
    const dialog = await screen.findByRole("dialog", { name: "New project" });
    const name = within(dialog).getByRole("textbox", { name: /name/i });

    // Checked before sending.
    await user.type(name, "-bad");
    expect(within(dialog).getByText(/not starting with '.' or '-'/)).toBeInTheDocument();
    expect(within(dialog).getByRole("button", { name: "Create project" })).toBeDisabled();

    // Refused by the server: said in words, the dialog stays.
    await user.clear(name);
    await user.type(name, "taken");
    await user.click(within(dialog).getByRole("button", { name: "Create project" }));
    expect(await within(dialog).findByRole("alert")).toHaveTextContent("You already have a project with that name.");

    await user.clear(name);
    await user.type(name, "fresh");
    await user.type(within(dialog).getByRole("textbox", { name: "Description" }), "Brand new");
    await user.click(within(dialog).getByRole("radio", { name: "Internal" }));
    await user.click(within(dialog).getByRole("button", { name: "Create project" }));

    expect(await screen.findByRole("heading", { name: "ada / fresh" })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/ada/fresh");
    expect(screen.getByText("Brand new")).toBeInTheDocument();
    expect(screen.getByText("Internal")).toBeInTheDocument();
    await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());
    expect(csrfHeaders).toEqual(["csrf-abc", "csrf-abc"]);
    // Reads carry no CSRF token.
    expect(listHeaders.every((h) => h === null)).toBe(true);
  });
});
