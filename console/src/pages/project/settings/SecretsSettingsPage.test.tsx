import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { AuthService } from "../../../gen/hearth/v1/auth_pb";
import { MemberSchema, ProjectService } from "../../../gen/hearth/v1/project_pb";
import { RoleService } from "../../../gen/hearth/v1/role_pb";
import {
  SecretSchema,
  SecretService,
  SecretUsage,
  type DeleteProjectSecretRequest,
  type Secret,
  type SetProjectSecretRequest,
} from "../../../gen/hearth/v1/secret_pb";
import { ada, project, signedIn } from "../../../test/fixtures";
import { renderApp } from "../../../test/renderApp";

const writer = { getMe: () => ({ user: ada, permissions: ["project:admin", "secret:read", "secret:write"] }) };

function secret(name: string, fields: Omit<MessageInitShape<typeof SecretSchema>, "$typeName"> = {}): Secret {
  return create(SecretSchema, {
    name,
    version: 1,
    scope: "project",
    usages: [SecretUsage.PIPELINE],
    updatedBy: "ada",
    createTime: timestampFromDate(new Date("2026-11-01T12:00:00Z")),
    updateTime: timestampFromDate(new Date("2026-11-02T12:00:00Z")),
    ...fields,
  });
}

// secretServer answers SecretService for ada/tools from memory, keeping
// the values it is sent (and never answering them).
function secretServer(initial: Secret[]) {
  let secrets = [...initial];
  const values = new Map<string, Uint8Array>();
  const sets: SetProjectSecretRequest[] = [];
  const deletes: DeleteProjectSecretRequest[] = [];
  const handlers = {
    listProjectSecrets: () => ({ secrets }),
    setProjectSecret: (req: SetProjectSecretRequest) => {
      sets.push(req);
      const input = req.secret!;
      const old = secrets.find((s) => s.name === input.name && s.environment === input.environment);
      const saved = secret(input.name, {
        environment: input.environment,
        protected: input.protected,
        usages: input.usages,
        description: input.description,
        version: (old?.version ?? 0) + (input.value.length > 0 ? 1 : 0),
      });
      if (input.value.length > 0) {
        values.set(input.name, input.value);
      }
      secrets = old ? secrets.map((s) => (s === old ? saved : s)) : [...secrets, saved];
      return { secret: saved };
    },
    deleteProjectSecret: (req: DeleteProjectSecretRequest) => {
      deletes.push(req);
      secrets = secrets.filter((s) => s.name !== req.secretName || s.environment !== req.environment);
      return {};
    },
  };
  return { handlers, sets, deletes, values };
}

describe("project secrets", () => {
  it("lists the secrets' metadata and never a value", async () => {
    signedIn();
    renderApp("/ada/tools/-/settings/secrets", (r) => {
      r.service(AuthService, writer);
      r.service(ProjectService, { getProject: () => ({ project: project("ada", "tools") }) });
      r.service(SecretService, {
        listProjectSecrets: () => ({
          secrets: [
            secret("NPM_TOKEN", { version: 3, description: "Publishes the packages" }),
            secret("DEPLOY_KEY", {
              environment: "production",
              protected: true,
              usages: [SecretUsage.PIPELINE, SecretUsage.DEPLOY],
              updatedBy: "grace",
            }),
          ],
        }),
      });
    });
    const table = await screen.findByRole("table", { name: "Secrets" });
    const npm = within(table).getByRole("row", { name: "NPM_TOKEN" });
    expect(npm).toHaveTextContent("all");
    expect(npm).toHaveTextContent("v3");
    expect(npm).toHaveTextContent("Pipelines");
    expect(npm).toHaveTextContent("Publishes the packages");
    expect(npm).toHaveTextContent("ada");
    const deploy = within(table).getByRole("row", { name: "DEPLOY_KEY (production)" });
    expect(deploy).toHaveTextContent("production");
    expect(deploy).toHaveTextContent("Protected");
    expect(deploy).toHaveTextContent("Deployments");
    expect(deploy).toHaveTextContent("grace");
    expect(screen.getByRole("tab", { name: "Secrets", selected: true })).toBeInTheDocument();

    // Editing starts from an empty value: there is none to show.
    const user = userEvent.setup();
    await user.click(within(deploy).getByRole("button", { name: "Edit secret DEPLOY_KEY (production)" }));
    const dialog = await screen.findByRole("dialog", { name: "Edit secret DEPLOY_KEY (production)" });
    expect(within(dialog).getByLabelText(/^new value/i)).toHaveValue("");
    expect(within(dialog).getByRole("textbox", { name: /^name/i })).toBeDisabled();
  });

  it("adds a secret, sending its value as bytes, and shows it without the value", async () => {
    signedIn();
    const server = secretServer([secret("NPM_TOKEN")]);
    let refuse = true;
    renderApp("/ada/tools/-/settings/secrets", (r) => {
      r.service(AuthService, writer);
      r.service(ProjectService, { getProject: () => ({ project: project("ada", "tools") }) });
      r.service(SecretService, {
        ...server.handlers,
        setProjectSecret: (req) => {
          if (refuse) {
            refuse = false;
            throw new ConnectError("the secrets root key is being rotated", Code.FailedPrecondition);
          }
          return server.handlers.setProjectSecret(req);
        },
      });
    });
    const user = userEvent.setup();
    await screen.findByRole("row", { name: "NPM_TOKEN" });
    await user.click(screen.getByRole("button", { name: "New secret" }));
    const dialog = await screen.findByRole("dialog", { name: "New secret" });
    await user.type(within(dialog).getByRole("textbox", { name: /^name/i }), "DEPLOY_KEY");
    await user.type(within(dialog).getByLabelText(/^value/i), "hunter2-is-secret");
    await user.type(within(dialog).getByRole("textbox", { name: /^environment/i }), "production");
    await user.click(within(dialog).getByRole("checkbox", { name: "Protected" }));
    expect(within(dialog).getByRole("checkbox", { name: "Pipelines" })).toBeChecked();
    await user.click(within(dialog).getByRole("checkbox", { name: "Deployments" }));
    await user.type(within(dialog).getByRole("textbox", { name: /^description/i }), "SSH key of the web servers");

    // The server's refusal shows in words, and the dialog stays.
    await user.click(within(dialog).getByRole("button", { name: "Save secret" }));
    expect(await within(dialog).findByRole("alert")).toHaveTextContent("the secrets root key is being rotated");

    await user.click(within(dialog).getByRole("button", { name: "Save secret" }));
    const row = await screen.findByRole("row", { name: "DEPLOY_KEY (production)" });
    await waitFor(() => expect(screen.queryByRole("dialog", { name: "New secret" })).not.toBeInTheDocument());
    expect(row).toHaveTextContent("Protected");
    expect(server.sets).toHaveLength(1);
    expect(server.sets[0]).toMatchObject({ owner: "ada", name: "tools" });
    expect(server.sets[0].secret).toMatchObject({
      name: "DEPLOY_KEY",
      environment: "production",
      protected: true,
      usages: [SecretUsage.PIPELINE, SecretUsage.DEPLOY],
      description: "SSH key of the web servers",
    });
    expect(new TextDecoder().decode(server.sets[0].secret!.value)).toBe("hunter2-is-secret");
    expect(Array.from(server.sets[0].secret!.value)).toEqual(Array.from(new TextEncoder().encode("hunter2-is-secret")));
    expect(document.body).not.toHaveTextContent("hunter2-is-secret");
  });

  it("keeps the current value when an edit leaves it empty", async () => {
    signedIn();
    const server = secretServer([secret("NPM_TOKEN", { version: 2, description: "old words" })]);
    renderApp("/ada/tools/-/settings/secrets", (r) => {
      r.service(AuthService, writer);
      r.service(ProjectService, { getProject: () => ({ project: project("ada", "tools") }) });
      r.service(SecretService, server.handlers);
    });
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Edit secret NPM_TOKEN" }));
    const dialog = await screen.findByRole("dialog", { name: "Edit secret NPM_TOKEN" });
    expect(within(dialog).getByText(/Leave empty to keep the current value \(version 2\)/)).toBeInTheDocument();
    const description = within(dialog).getByRole("textbox", { name: /^description/i });
    await user.clear(description);
    await user.type(description, "new words");
    await user.click(within(dialog).getByRole("button", { name: "Save secret" }));

    expect(await screen.findByRole("row", { name: "NPM_TOKEN" })).toHaveTextContent("new words");
    expect(server.sets).toHaveLength(1);
    expect(server.sets[0].secret).toMatchObject({ name: "NPM_TOKEN", environment: "", description: "new words" });
    expect(server.sets[0].secret!.value).toHaveLength(0);
    expect(screen.getByRole("row", { name: "NPM_TOKEN" })).toHaveTextContent("v2");
  });

  it("refuses a bad name, a short value and an existing secret before sending", async () => {
    signedIn();
    const server = secretServer([secret("NPM_TOKEN")]);
    renderApp("/ada/tools/-/settings/secrets", (r) => {
      r.service(AuthService, writer);
      r.service(ProjectService, { getProject: () => ({ project: project("ada", "tools") }) });
      r.service(SecretService, server.handlers);
    });
    const user = userEvent.setup();
    await screen.findByRole("row", { name: "NPM_TOKEN" });
    await user.click(screen.getByRole("button", { name: "New secret" }));
    const dialog = await screen.findByRole("dialog", { name: "New secret" });
    const save = within(dialog).getByRole("button", { name: "Save secret" });
    expect(save).toBeDisabled();

    const name = within(dialog).getByRole("textbox", { name: /^name/i });
    await user.type(name, "1st-token");
    expect(within(dialog).getByText("Letters, digits and _ only, not starting with a digit.")).toBeInTheDocument();
    const value = within(dialog).getByLabelText(/^value/i);
    await user.type(value, "short");
    expect(within(dialog).getByText(/Use at least 8 bytes/)).toBeInTheDocument();
    expect(save).toBeDisabled();

    await user.clear(name);
    await user.type(name, "NPM_TOKEN");
    await user.type(value, "-enough");
    expect(within(dialog).queryByText(/Use at least 8 bytes/)).not.toBeInTheDocument();
    expect(within(dialog).getByText(/NPM_TOKEN already exists for all environments in this project/)).toBeInTheDocument();
    expect(save).toBeDisabled();

    await user.clear(name);
    await user.type(name, "PYPI_TOKEN");
    expect(save).toBeEnabled();
    expect(server.sets).toHaveLength(0);
  });

  it("asks before deleting a secret", async () => {
    signedIn();
    const server = secretServer([secret("NPM_TOKEN"), secret("NPM_TOKEN", { environment: "staging" })]);
    renderApp("/ada/tools/-/settings/secrets", (r) => {
      r.service(AuthService, writer);
      r.service(ProjectService, { getProject: () => ({ project: project("ada", "tools") }) });
      r.service(SecretService, server.handlers);
    });
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Delete secret NPM_TOKEN (staging)" }));
    let dialog = await screen.findByRole("dialog", { name: "Delete secret?" });
    expect(dialog).toHaveTextContent("environment staging");
    await user.click(within(dialog).getByRole("button", { name: "Cancel" }));
    await waitFor(() => expect(screen.queryByRole("dialog", { name: "Delete secret?" })).not.toBeInTheDocument());
    expect(server.deletes).toHaveLength(0);

    await user.click(screen.getByRole("button", { name: "Delete secret NPM_TOKEN (staging)" }));
    dialog = await screen.findByRole("dialog", { name: "Delete secret?" });
    await user.click(within(dialog).getByRole("button", { name: "Delete secret" }));
    await waitFor(() => expect(screen.queryByRole("row", { name: "NPM_TOKEN (staging)" })).not.toBeInTheDocument());
    expect(screen.getByRole("row", { name: "NPM_TOKEN" })).toBeInTheDocument();
    expect(server.deletes).toHaveLength(1);
    expect(server.deletes[0]).toMatchObject({ owner: "ada", name: "tools", secretName: "NPM_TOKEN", environment: "staging" });
  });

  it("rotates the data key and says how many values wait", async () => {
    signedIn();
    const rotations: string[] = [];
    renderApp("/ada/tools/-/settings/secrets", (r) => {
      r.service(AuthService, writer);
      r.service(ProjectService, { getProject: () => ({ project: project("ada", "tools") }) });
      r.service(SecretService, {
        listProjectSecrets: () => ({ secrets: [secret("NPM_TOKEN")] }),
        rotateProjectKey: (req) => {
          rotations.push(`${req.owner}/${req.name}`);
          return { pendingValues: 3n };
        },
      });
    });
    const user = userEvent.setup();
    const card = await screen.findByRole("region", { name: "Data key" });
    await user.click(within(card).getByRole("button", { name: "Rotate data key" }));
    const dialog = await screen.findByRole("dialog", { name: "Rotate the data key?" });
    await user.click(within(dialog).getByRole("button", { name: "Rotate data key" }));
    expect(await within(card).findByRole("status")).toHaveTextContent("3 values are re-encrypted under it in the background.");
    expect(rotations).toEqual(["ada/tools"]);
  });

  it("shows a member without secret:write the list read-only", async () => {
    signedIn();
    renderApp("/ada/tools/-/settings/secrets", (r) => {
      r.service(AuthService, { getMe: () => ({ user: { ...ada, username: "grace" }, permissions: [] }) });
      r.service(ProjectService, {
        getProject: () => ({ project: project("ada", "tools") }),
        listProjectMembers: () => ({ members: [create(MemberSchema, { username: "grace", role: "developer" })] }),
      });
      r.service(RoleService, { listRoles: () => ({ roles: [] }) });
      r.service(SecretService, { listProjectSecrets: () => ({ secrets: [secret("NPM_TOKEN")] }) });
    });
    expect(await screen.findByRole("row", { name: "NPM_TOKEN" })).toBeInTheDocument();
    expect(screen.getByText(/Only the project's maintainers can change/)).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "New secret" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Edit secret/ })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Delete secret/ })).not.toBeInTheDocument();
    expect(screen.queryByRole("region", { name: "Data key" })).not.toBeInTheDocument();
  });

  it("shows the server's refusal to a member who may not read secrets", async () => {
    signedIn();
    renderApp("/ada/tools/-/settings/secrets", (r) => {
      r.service(AuthService, { getMe: () => ({ user: { ...ada, username: "grace" }, permissions: [] }) });
      r.service(ProjectService, {
        getProject: () => ({ project: project("ada", "tools") }),
        listProjectMembers: () => ({ members: [create(MemberSchema, { username: "grace", role: "viewer" })] }),
      });
      r.service(RoleService, { listRoles: () => ({ roles: [] }) });
      r.service(SecretService, {
        listProjectSecrets: () => {
          throw new ConnectError("secret:read is required", Code.PermissionDenied);
        },
      });
    });
    // The settings' own read-only notice is an alert too.
    const title = await screen.findByText("You may not see the secrets of this project (it needs secret:read).");
    expect(title.closest('[role="alert"]')).toHaveTextContent("secret:read is required");
    expect(screen.queryByRole("table", { name: "Secrets" })).not.toBeInTheDocument();
  });
});
