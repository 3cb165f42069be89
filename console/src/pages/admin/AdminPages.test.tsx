import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { AuditEventSchema, AuditService, type ListAuditEventsRequest } from "../../gen/hearth/v1/audit_pb";
import { AuthService, UserSchema, type User } from "../../gen/hearth/v1/auth_pb";
import { ClusterSchema, ClusterService, NodeAgentSchema, type CreateJoinTokenRequest } from "../../gen/hearth/v1/cluster_pb";
import { UserService, type CreateUserRequest } from "../../gen/hearth/v1/user_pb";
import { ada, signedIn } from "../../test/fixtures";
import { renderApp } from "../../test/renderApp";

const root: User = create(UserSchema, { ...ada, id: "u-root", username: "root", admin: true });
const asAdmin = { getMe: () => ({ user: root, permissions: ["admin:users", "admin:roles", "admin:audit"] }) };

describe("administration", () => {
  it("tells a user who is not an administrator why there is nothing here", async () => {
    signedIn();
    renderApp("/-/admin/users", (r) => {
      r.service(AuthService, { getMe: () => ({ user: ada, permissions: ["project:read"] }) });
    });
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Administrators only");
    expect(screen.queryByRole("tab", { name: "Users" })).not.toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Back to the projects" })).toBeInTheDocument();
  });

  it("creates a user and lists them", async () => {
    signedIn("csrf-admin");
    const users: User[] = [root];
    const created: CreateUserRequest[] = [];
    const csrf: (string | null)[] = [];
    const { router } = renderApp("/-/admin", (r) => {
      r.service(AuthService, asAdmin);
      r.service(UserService, {
        listUsers: () => ({ users }),
        createUser: (req, ctx) => {
          created.push(req);
          csrf.push(ctx.requestHeader.get("X-CSRF-Token"));
          const u = create(UserSchema, { id: "u-2", username: req.username, email: req.email, displayName: req.displayName, admin: req.admin, active: true, mustChangePassword: true });
          users.push(u);
          return { user: u };
        },
      });
    });
    await waitFor(() => expect(router.state.location.pathname).toBe("/-/admin/users"));
    expect(await screen.findByRole("row", { name: "root" })).toHaveTextContent("Admin");
    const user = userEvent.setup();
    await user.click(screen.getByRole("button", { name: "New user" }));
    const dialog = await screen.findByRole("dialog", { name: "New user" });
    await user.type(within(dialog).getByRole("textbox", { name: /username/i }), "grace");
    await user.type(within(dialog).getByRole("textbox", { name: /email/i }), "grace@example.com");
    await user.type(within(dialog).getByRole("textbox", { name: /display name/i }), "Grace Hopper");
    await user.type(within(dialog).getByLabelText(/first password/i), "short");
    expect(within(dialog).getByText("Use at least 12 characters.")).toBeInTheDocument();
    expect(within(dialog).getByRole("button", { name: "Create user" })).toBeDisabled();
    await user.type(within(dialog).getByLabelText(/first password/i), "-but-long-enough");
    await user.click(within(dialog).getByRole("button", { name: "Create user" }));

    expect(await screen.findByRole("row", { name: "grace" })).toHaveTextContent("Must change password");
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({
      username: "grace",
      email: "grace@example.com",
      displayName: "Grace Hopper",
      password: "short-but-long-enough",
      admin: false,
    });
    expect(csrf).toEqual(["csrf-admin"]);
  });

  it("creates a join token and shows the exact hearth-agent command once", async () => {
    signedIn();
    const requests: CreateJoinTokenRequest[] = [];
    const secret = "hjt_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
    renderApp("/-/admin/clusters", (r) => {
      r.service(AuthService, asAdmin);
      r.service(ClusterService, {
        listClusters: () => ({ clusters: [create(ClusterSchema, { id: "c-1", name: "edge-1", labels: { region: "eu" } })] }),
        listAgents: () => ({
          agents: [
            create(NodeAgentSchema, { id: "a-1", name: "runner-1", runnerKind: "process", lastSeenTime: timestampFromDate(new Date()) }),
            create(NodeAgentSchema, { id: "a-2", name: "runner-2", runnerKind: "process" }),
          ],
        }),
        listJoinTokens: () => ({ tokens: [] }),
        createJoinToken: (req) => {
          requests.push(req);
          return { token: secret };
        },
      });
    });
    const cluster = await screen.findByRole("listitem", { name: "edge-1" });
    expect(within(cluster).getByText("region=eu")).toBeInTheDocument();
    expect(await within(cluster).findByRole("row", { name: "runner-1" })).toHaveTextContent("Online");
    expect(within(cluster).getByRole("row", { name: "runner-2" })).toHaveTextContent("Never connected");

    const user = userEvent.setup();
    await user.click(within(cluster).getByRole("button", { name: "New join token" }));
    const dialog = await screen.findByRole("dialog", { name: "New join token for edge-1" });
    await user.type(within(dialog).getByRole("textbox", { name: /description/i }), "build box");
    await user.click(within(dialog).getByRole("button", { name: "Create join token" }));

    const shown = await screen.findByRole("dialog", { name: "Join token for edge-1" });
    const command = within(shown).getByLabelText("Agent command");
    const origin = window.location.origin;
    const expected = `export HEARTH_AGENT_JOIN_TOKEN=${secret}\nhearth-agent run --server ${origin} --data-dir /var/lib/hearth-agent`;
    expect(command.textContent).toBe(expected);
    await user.click(within(shown).getByRole("button", { name: "Copy command" }));
    await waitFor(async () => expect(await navigator.clipboard.readText()).toBe(expected));

    // The server URL can be corrected for machines that reach it elsewhere.
    const server = within(shown).getByRole("textbox", { name: /server url/i });
    await user.clear(server);
    await user.type(server, "https://hearth.example.com");
    expect(command.textContent).toContain("hearth-agent run --server https://hearth.example.com --data-dir /var/lib/hearth-agent");

    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ clusterId: "c-1", description: "build box", maxUses: 1 });
    const hours = (Number(requests[0].expireTime?.seconds) * 1000 - Date.now()) / 3_600_000;
    expect(Math.round(hours)).toBe(24);

    await user.click(within(shown).getByRole("button", { name: "Done" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());
    expect(screen.queryByText(secret, { exact: false })).not.toBeInTheDocument();
  });

  it("pages through the audit log and filters it", async () => {
    signedIn();
    const requests: ListAuditEventsRequest[] = [];
    const event = (i: number) =>
      create(AuditEventSchema, {
        id: `e-${i}`,
        occurTime: timestampFromDate(new Date(Date.UTC(2026, 10, 1, 12, 0, i))),
        actorName: "root",
        action: i % 2 ? "user.create" : "token.create",
        resource: `thing-${i}`,
      });
    renderApp("/-/admin/audit", (r) => {
      r.service(AuthService, asAdmin);
      r.service(AuditService, {
        listAuditEvents: (req) => {
          requests.push(req);
          if (req.actionPrefix) {
            return { events: [event(1)].filter((e) => e.action.startsWith(req.actionPrefix)) };
          }
          return req.pageToken === "p2" ? { events: [event(3), event(4)] } : { events: [event(1), event(2)], nextPageToken: "p2" };
        },
      });
    });
    const table = await screen.findByRole("table", { name: "Audit events" });
    expect(within(table).getAllByRole("row")).toHaveLength(3);
    const user = userEvent.setup();
    await user.click(screen.getByRole("button", { name: "Load more" }));
    await waitFor(() => expect(within(table).getAllByRole("row")).toHaveLength(5));
    expect(screen.queryByRole("button", { name: "Load more" })).not.toBeInTheDocument();
    expect(requests.map((r) => r.pageToken)).toEqual(["", "p2"]);
    expect(requests[0].pageSize).toBe(50);

    await user.type(screen.getByRole("textbox", { name: "Action starts with" }), "user.");
    await user.click(screen.getByRole("button", { name: "Apply" }));
    await waitFor(() => expect(screen.getByRole("table", { name: "Audit events" }).querySelectorAll("tbody tr")).toHaveLength(1));
    expect(requests.at(-1)).toMatchObject({ actionPrefix: "user.", pageToken: "" });
    expect(screen.getByRole("row", { name: "user.create thing-1" })).toBeInTheDocument();
  });
});
