import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { AuthService } from "../../../gen/hearth/v1/auth_pb";
import {
  MemberSchema,
  ProjectService,
  Visibility,
  type Member,
  type Project,
  type UpdateProjectRequest,
} from "../../../gen/hearth/v1/project_pb";
import { RefRuleService, type ProtectedRef, type SetProtectedRefRequest } from "../../../gen/hearth/v1/refrule_pb";
import { RepositoryService } from "../../../gen/hearth/v1/repository_pb";
import { RoleService } from "../../../gen/hearth/v1/role_pb";
import { ada, project, signedIn } from "../../../test/fixtures";
import { renderApp } from "../../../test/renderApp";

const maintainer = { getMe: () => ({ user: ada, permissions: ["project:admin"] }) };

describe("project settings", () => {
  it("saves only the fields that changed", async () => {
    signedIn("csrf-s");
    let current: Project = project("ada", "tools", { description: "old", visibility: Visibility.PRIVATE });
    const updates: UpdateProjectRequest[] = [];
    renderApp("/ada/tools/-/settings", (r) => {
      r.service(AuthService, maintainer);
      r.service(ProjectService, {
        getProject: () => ({ project: current }),
        updateProject: (req) => {
          updates.push(req);
          current = project("ada", "tools", {
            description: req.description ?? current.description,
            visibility: req.visibility || current.visibility,
            defaultBranch: req.defaultBranch ?? current.defaultBranch,
          });
          return { project: current };
        },
      });
      r.service(RepositoryService, { listBranches: () => ({ branches: [{ name: "main" }, { name: "develop" }], defaultBranch: "main" }) });
    });
    const form = await screen.findByRole("form", { name: "General settings" });
    const user = userEvent.setup();
    const save = within(form).getByRole("button", { name: "Save changes" });
    expect(save).toBeDisabled();
    const description = within(form).getByRole("textbox", { name: "Description" });
    await user.clear(description);
    await user.type(description, "new words");
    const branch = within(form).getByRole("combobox", { name: /default branch/i });
    await waitFor(() => expect(branch).toBeEnabled());
    await user.selectOptions(branch, "develop");
    await user.click(save);

    await waitFor(() => expect(updates).toHaveLength(1));
    expect(updates[0]).toMatchObject({ owner: "ada", name: "tools", description: "new words", defaultBranch: "develop" });
    expect(updates[0].visibility).toBe(Visibility.UNSPECIFIED);
    // The project frame shows the saved description at once.
    expect(await screen.findByText("new words", { selector: "p" })).toBeInTheDocument();

    // Only the visibility this time.
    await user.click(within(screen.getByRole("form", { name: "General settings" })).getByRole("radio", { name: "Public" }));
    await user.click(within(screen.getByRole("form", { name: "General settings" })).getByRole("button", { name: "Save changes" }));
    await waitFor(() => expect(updates).toHaveLength(2));
    expect(updates[1].visibility).toBe(Visibility.PUBLIC);
    expect(updates[1].description).toBeUndefined();
    expect(updates[1].defaultBranch).toBeUndefined();
  });

  it("adds and removes members, showing the server's refusal", async () => {
    signedIn();
    let members: Member[] = [create(MemberSchema, { username: "ada", role: "maintainer" })];
    const removed: string[] = [];
    renderApp("/ada/tools/-/settings/members", (r) => {
      r.service(AuthService, maintainer);
      r.service(ProjectService, {
        getProject: () => ({ project: project("ada", "tools") }),
        listProjectMembers: () => ({ members }),
        addProjectMember: (req) => {
          if (req.username === "nobody") {
            throw new ConnectError('user "nobody" not found', Code.NotFound);
          }
          const m = create(MemberSchema, { username: req.username, role: req.role });
          members = [...members, m];
          return { member: m };
        },
        removeProjectMember: (req) => {
          removed.push(req.username);
          members = members.filter((m) => m.username !== req.username);
          return {};
        },
      });
      r.service(RoleService, {
        listRoles: () => ({
          roles: [
            { id: "1", name: "admin", system: true },
            { id: "2", name: "maintainer", system: true },
            { id: "3", name: "developer", system: true },
            { id: "4", name: "viewer", system: true },
          ],
        }),
      });
    });
    const user = userEvent.setup();
    expect(await screen.findByRole("row", { name: "ada" })).toHaveTextContent("maintainer");
    const form = screen.getByRole("form", { name: "Add a member" });
    const role = within(form).getByRole("combobox", { name: "Role" });
    expect(within(role).queryByRole("option", { name: "admin" })).not.toBeInTheDocument();

    await user.type(within(form).getByRole("textbox", { name: /username/i }), "nobody");
    await user.click(within(form).getByRole("button", { name: "Add member" }));
    expect(await within(form).findByRole("alert")).toHaveTextContent('user "nobody" not found');

    await user.clear(within(form).getByRole("textbox", { name: /username/i }));
    await user.type(within(form).getByRole("textbox", { name: /username/i }), "grace");
    await user.selectOptions(role, "viewer");
    await user.click(within(form).getByRole("button", { name: "Add member" }));
    expect(await screen.findByRole("row", { name: "grace" })).toHaveTextContent("viewer");

    await user.click(screen.getByRole("button", { name: "Remove grace" }));
    const dialog = await screen.findByRole("dialog", { name: "Remove member?" });
    await user.click(within(dialog).getByRole("button", { name: "Remove member" }));
    await waitFor(() => expect(screen.queryByRole("row", { name: "grace" })).not.toBeInTheDocument());
    expect(removed).toEqual(["grace"]);
  });

  it("creates a protected branch rule with required approvals", async () => {
    signedIn();
    let rules: ProtectedRef[] = [];
    const sets: SetProtectedRefRequest[] = [];
    renderApp("/ada/tools/-/settings/branches", (r) => {
      r.service(AuthService, maintainer);
      r.service(ProjectService, { getProject: () => ({ project: project("ada", "tools") }) });
      r.service(RefRuleService, {
        listProtectedRefs: () => ({ rules }),
        setProtectedRef: (req) => {
          sets.push(req);
          rules = [...rules, req.rule!];
          return { rule: req.rule };
        },
      });
    });
    const user = userEvent.setup();
    expect(await screen.findByRole("heading", { name: "No protection rules" })).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "New rule" }));
    const dialog = await screen.findByRole("dialog", { name: "New protection rule" });
    await user.type(within(dialog).getByRole("textbox", { name: /pattern/i }), "release/*");
    await user.selectOptions(within(dialog).getByRole("combobox", { name: "Who may push" }), "project:admin");
    const approvals = within(dialog).getByRole("textbox", { name: /required approvals/i });
    await user.clear(approvals);
    await user.type(approvals, "2");
    await user.click(within(dialog).getByRole("switch", { name: /require a green pipeline/i }));
    await user.click(within(dialog).getByRole("button", { name: "Save rule" }));

    const row = await screen.findByRole("row", { name: "branch release/*" });
    expect(row).toHaveTextContent("Maintainers");
    expect(row).toHaveTextContent("Must pass");
    expect(sets).toHaveLength(1);
    expect(sets[0].rule).toMatchObject({
      kind: "branch",
      pattern: "release/*",
      pushPermission: "project:admin",
      requiredApprovals: 2,
      requirePipeline: true,
      allowForcePush: false,
      allowDeletion: false,
    });
  });

  it("shows a member without project:admin the settings read-only", async () => {
    signedIn();
    renderApp("/ada/tools/-/settings", (r) => {
      r.service(AuthService, { getMe: () => ({ user: { ...ada, username: "grace" }, permissions: [] }) });
      r.service(ProjectService, {
        getProject: () => ({ project: project("ada", "tools", { description: "helpers" }) }),
        listProjectMembers: () => ({ members: [create(MemberSchema, { username: "grace", role: "developer" })] }),
      });
      r.service(RoleService, { listRoles: () => ({ roles: [] }) });
    });
    expect(await screen.findByText(/Only the project's maintainers can change/)).toBeInTheDocument();
    expect(screen.queryByRole("form", { name: "General settings" })).not.toBeInTheDocument();
    expect(screen.queryByRole("tab", { name: "Danger zone" })).not.toBeInTheDocument();
  });

  it("deletes the project after its name is typed and goes to the list", async () => {
    signedIn();
    const deleted: string[] = [];
    const { router } = renderApp("/ada/tools/-/settings/danger", (r) => {
      r.service(AuthService, maintainer);
      r.service(ProjectService, {
        getProject: () => ({ project: project("ada", "tools") }),
        deleteProject: (req) => {
          deleted.push(`${req.owner}/${req.name}`);
          return {};
        },
        listProjects: () => ({ projects: [] }),
      });
    });
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Delete project" }));
    const dialog = await screen.findByRole("dialog", { name: "Delete ada/tools?" });
    const confirm = within(dialog).getByRole("button", { name: "Delete this project" });
    expect(confirm).toBeDisabled();
    await user.type(within(dialog).getByRole("textbox", { name: "Project to delete" }), "ada/tools");
    await user.click(confirm);
    await waitFor(() => expect(router.state.location.pathname).toBe("/projects"));
    expect(deleted).toEqual(["ada/tools"]);
  });

  it("renames the project and follows it to its new URL", async () => {
    signedIn();
    const { router } = renderApp("/ada/tools/-/settings/danger", (r) => {
      r.service(AuthService, maintainer);
      r.service(ProjectService, {
        getProject: (req) => ({ project: project(req.owner, req.name) }),
        renameProject: (req) => ({ project: project(req.owner, req.newName) }),
      });
    });
    const user = userEvent.setup();
    const form = await screen.findByRole("form", { name: "Rename the project" });
    const name = within(form).getByRole("textbox", { name: "New name" });
    await user.clear(name);
    await user.type(name, "toolbox");
    await user.click(within(form).getByRole("button", { name: "Rename" }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/ada/toolbox/-/settings/danger"));
    expect(await screen.findByRole("heading", { name: "ada / toolbox" })).toBeInTheDocument();
  });
});
