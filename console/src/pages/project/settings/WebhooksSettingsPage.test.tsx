import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { AuthService } from "../../../gen/hearth/v1/auth_pb";
import { MemberSchema, ProjectService } from "../../../gen/hearth/v1/project_pb";
import { RoleService } from "../../../gen/hearth/v1/role_pb";
import { WebhookService } from "../../../gen/hearth/v1/webhook_pb";
import { ada, project, signedIn } from "../../../test/fixtures";
import { renderApp } from "../../../test/renderApp";
import { delivery, webhook, webhookServer } from "../../../test/webhookServer";

const maintainer = { getMe: () => ({ user: ada, permissions: ["project:admin"] }) };
const tools = { getProject: () => ({ project: project("ada", "tools") }) };

const ci = webhook("w1", "https://ci.example.com/hooks/hearth", { events: ["pipeline.failed", "merge_request.merged"], consecutiveFailures: 1 });
const chat = webhook("w2", "https://chat.example.com/hook?token=abc", {
  active: false,
  consecutiveFailures: 5,
  disabledReason: "disabled after 5 deliveries in a row failed; the last: 502 Bad Gateway",
});

describe("project webhooks", () => {
  it("lists the webhooks; a disabled one shows why, and enabling it starts over", async () => {
    signedIn();
    const server = webhookServer([ci, chat]);
    renderApp("/ada/tools/-/settings/webhooks", (r) => {
      r.service(AuthService, maintainer);
      r.service(ProjectService, tools);
      r.service(WebhookService, server.handlers);
    });
    const table = await screen.findByRole("table", { name: "Webhooks" });
    expect(screen.getByRole("tab", { name: "Webhooks", selected: true })).toBeInTheDocument();
    const ciRow = within(table).getByRole("row", { name: "https://ci.example.com/hooks/hearth" });
    expect(ciRow).toHaveTextContent("pipeline.failed");
    expect(ciRow).toHaveTextContent("merge_request.merged");
    expect(ciRow).toHaveTextContent("Active");
    expect(ciRow).toHaveTextContent("by ada");
    const chatRow = within(table).getByRole("row", { name: "https://chat.example.com/hook?token=abc" });
    expect(chatRow).toHaveTextContent("All events");
    expect(chatRow).toHaveTextContent("Disabled");
    expect(chatRow).toHaveTextContent("disabled after 5 deliveries in a row failed; the last: 502 Bad Gateway");
    expect(chatRow).toHaveTextContent("5");
    expect(server.owners[0]).toBe("ada/tools");

    const user = userEvent.setup();
    await user.click(within(chatRow).getByRole("button", { name: "Enable webhook to https://chat.example.com/hook?token=abc" }));
    await waitFor(() => expect(chatRow).toHaveTextContent("Active"));
    expect(chatRow).not.toHaveTextContent("502 Bad Gateway");
    expect(server.actives).toEqual([expect.objectContaining({ owner: "ada", name: "tools", id: "w2", active: true })]);

    await user.click(within(ciRow).getByRole("button", { name: "Disable webhook to https://ci.example.com/hooks/hearth" }));
    await waitFor(() => expect(ciRow).toHaveTextContent("Disabled"));
    expect(server.actives[1]).toMatchObject({ id: "w1", active: false });
  });

  it("adds a webhook for chosen events and shows its signing secret once", async () => {
    signedIn();
    const server = webhookServer([]);
    let refuse = true;
    renderApp("/ada/tools/-/settings/webhooks", (r) => {
      r.service(AuthService, maintainer);
      r.service(ProjectService, tools);
      r.service(WebhookService, {
        ...server.handlers,
        createWebhook: (req) => {
          if (refuse) {
            refuse = false;
            throw new ConnectError("the webhook URL must be an absolute http:// or https:// URL", Code.InvalidArgument);
          }
          return server.handlers.createWebhook(req);
        },
      });
    });
    const user = userEvent.setup();
    expect(await screen.findByRole("heading", { name: "No webhooks" })).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "New webhook" }));
    let dialog = await screen.findByRole("dialog", { name: "New webhook" });
    const add = within(dialog).getByRole("button", { name: "Add webhook" });
    expect(add).toBeDisabled();

    const url = within(dialog).getByRole("textbox", { name: /^URL/ });
    await user.type(url, "ci.example.com/hook");
    expect(within(dialog).getByText("An absolute http:// or https:// URL.")).toBeInTheDocument();
    expect(add).toBeDisabled();
    await user.clear(url);
    await user.type(url, "https://ci.example.com/hooks/hearth");

    await user.click(within(dialog).getByRole("radio", { name: /Only these events/ }));
    expect(within(dialog).getByText("Choose at least one, or send all events.")).toBeInTheDocument();
    expect(add).toBeDisabled();
    await user.click(within(dialog).getByRole("checkbox", { name: "pipeline.failed" }));
    await user.click(within(dialog).getByRole("checkbox", { name: "merge_request.merged" }));
    const secret = within(dialog).getByLabelText(/^Signing secret/);
    await user.type(secret, "too-short");
    expect(within(dialog).getByText("16 to 256 characters, or leave it empty for a random one.")).toBeInTheDocument();
    await user.clear(secret);
    expect(add).toBeEnabled();

    // The server's refusal shows in words, and the dialog stays.
    await user.click(add);
    expect(await within(dialog).findByRole("alert")).toHaveTextContent("the webhook URL must be an absolute");
    await user.click(add);

    dialog = await screen.findByRole("dialog", { name: "Webhook added" });
    expect(within(dialog).getByLabelText("Signing secret")).toHaveTextContent("whsec-4f1c0e9a7b3d2c1e0f9a8b7c6d5e4f3a");
    expect(within(dialog).getByText("Copy the signing secret now")).toBeInTheDocument();
    expect(within(dialog).getByRole("button", { name: "Copy secret" })).toBeInTheDocument();
    expect(server.creates).toEqual([
      expect.objectContaining({
        owner: "ada",
        name: "tools",
        url: "https://ci.example.com/hooks/hearth",
        events: ["pipeline.failed", "merge_request.merged"],
        secret: "",
      }),
    ]);

    await user.click(within(dialog).getByRole("button", { name: "I have copied it" }));
    const row = await screen.findByRole("row", { name: "https://ci.example.com/hooks/hearth" });
    expect(row).toHaveTextContent("pipeline.failed");
    await waitFor(() => expect(screen.queryByRole("dialog", { name: "Webhook added" })).not.toBeInTheDocument());
    expect(document.body).not.toHaveTextContent("whsec-4f1c0e9a7b3d2c1e0f9a8b7c6d5e4f3a");

    // Opening the dialog again starts afresh: the secret is gone for good.
    await user.click(screen.getByRole("button", { name: "New webhook" }));
    dialog = await screen.findByRole("dialog", { name: "New webhook" });
    expect(within(dialog).getByRole("textbox", { name: /^URL/ })).toHaveValue("");
    expect(document.body).not.toHaveTextContent("whsec-4f1c0e9a7b3d2c1e0f9a8b7c6d5e4f3a");
  });

  it("asks before deleting a webhook", async () => {
    signedIn();
    const server = webhookServer([ci, chat]);
    renderApp("/ada/tools/-/settings/webhooks", (r) => {
      r.service(AuthService, maintainer);
      r.service(ProjectService, tools);
      r.service(WebhookService, server.handlers);
    });
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Delete webhook to https://ci.example.com/hooks/hearth" }));
    let dialog = await screen.findByRole("dialog", { name: "Delete webhook?" });
    expect(dialog).toHaveTextContent("https://ci.example.com/hooks/hearth");
    await user.click(within(dialog).getByRole("button", { name: "Cancel" }));
    await waitFor(() => expect(screen.queryByRole("dialog", { name: "Delete webhook?" })).not.toBeInTheDocument());
    expect(server.deletes).toHaveLength(0);

    await user.click(screen.getByRole("button", { name: "Delete webhook to https://ci.example.com/hooks/hearth" }));
    dialog = await screen.findByRole("dialog", { name: "Delete webhook?" });
    await user.click(within(dialog).getByRole("button", { name: "Delete webhook" }));
    await waitFor(() => expect(screen.queryByRole("row", { name: "https://ci.example.com/hooks/hearth" })).not.toBeInTheDocument());
    expect(screen.getByRole("row", { name: "https://chat.example.com/hook?token=abc" })).toBeInTheDocument();
    expect(server.deletes).toEqual([expect.objectContaining({ owner: "ada", name: "tools", id: "w1" })]);
  });

  it("shows a webhook's delivery log a page at a time and redelivers one", async () => {
    signedIn();
    const server = webhookServer([ci], {
      w1: [
        delivery("d3", "pipeline.failed", { minutesAgo: 2, ms: 85 }),
        delivery("d2", "merge_request.merged", {
          state: "failed",
          attempts: 5,
          lastStatus: 502,
          ms: 1250,
          lastError: "502 Bad Gateway",
          minutesAgo: 60,
        }),
        delivery("d1", "pipeline.failed", { state: "failed", attempts: 1, lastStatus: 0, ms: 0, lastError: "dial tcp: connection refused", minutesAgo: 120 }),
      ],
    });
    const { router } = renderApp("/ada/tools/-/settings/webhooks", (r) => {
      r.service(AuthService, maintainer);
      r.service(ProjectService, tools);
      r.service(WebhookService, server.handlers);
    });
    const user = userEvent.setup();
    await user.click(await screen.findByRole("link", { name: "Deliveries of https://ci.example.com/hooks/hearth" }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/ada/tools/-/settings/webhooks/w1"));
    expect(screen.getByRole("tab", { name: "Webhooks", selected: true })).toBeInTheDocument();
    const table = await screen.findByRole("table", { name: "Deliveries" });
    expect(screen.getByText("https://ci.example.com/hooks/hearth")).toBeInTheDocument();
    let rows = within(table).getAllByRole("row").slice(1);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent("pipeline.failed");
    expect(rows[0]).toHaveTextContent("Succeeded");
    expect(rows[0]).toHaveTextContent("200");
    expect(rows[0]).toHaveTextContent("85 ms");
    expect(rows[0]).toHaveTextContent("2 minutes ago");
    expect(rows[1]).toHaveTextContent("merge_request.merged");
    expect(rows[1]).toHaveTextContent("Failed");
    expect(rows[1]).toHaveTextContent("5");
    expect(rows[1]).toHaveTextContent("502");
    expect(rows[1]).toHaveTextContent("1.3 s");
    expect(rows[1]).toHaveTextContent("502 Bad Gateway");
    expect(server.listsOfDeliveries[0]).toMatchObject({ owner: "ada", name: "tools", id: "w1", pageToken: "" });

    await user.click(screen.getByRole("button", { name: "Load more" }));
    await waitFor(() => expect(within(table).getAllByRole("row")).toHaveLength(4));
    rows = within(table).getAllByRole("row").slice(1);
    expect(rows[2]).toHaveTextContent("No answer");
    expect(rows[2]).toHaveTextContent("dial tcp: connection refused");
    expect(server.listsOfDeliveries.at(-1)).toMatchObject({ pageToken: "2" });

    await user.click(within(rows[1]).getByRole("button", { name: "Redeliver" }));
    await waitFor(() => expect(server.redelivers).toHaveLength(1));
    expect(server.redelivers[0]).toMatchObject({ owner: "ada", name: "tools", id: "w1", deliveryId: "d2" });
    // The new delivery is listed on top, pending.
    await waitFor(() => expect(within(table).getAllByRole("row")[1]).toHaveTextContent("Pending"));
    expect(within(table).getAllByRole("row")[1]).toHaveTextContent("Redelivery");
    expect(within(within(table).getAllByRole("row")[1]).getByRole("button", { name: "Redeliver" })).toBeDisabled();

    await user.click(screen.getByRole("link", { name: "All webhooks" }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/ada/tools/-/settings/webhooks"));
  });

  it("tells a member without project:admin that webhooks are for maintainers", async () => {
    signedIn();
    const server = webhookServer([ci]);
    renderApp("/ada/tools/-/settings/webhooks", (r) => {
      r.service(AuthService, { getMe: () => ({ user: { ...ada, username: "grace" }, permissions: [] }) });
      r.service(ProjectService, {
        ...tools,
        listProjectMembers: () => ({ members: [create(MemberSchema, { username: "grace", role: "developer" })] }),
      });
      r.service(RoleService, { listRoles: () => ({ roles: [] }) });
      r.service(WebhookService, server.handlers);
    });
    expect(await screen.findByText(/Only the project's maintainers \(project:admin\) can see and change its webhooks/)).toBeInTheDocument();
    expect(screen.queryByRole("tab", { name: "Webhooks" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "New webhook" })).not.toBeInTheDocument();
    expect(server.owners).toHaveLength(0);
  });
});
