import { create } from "@bufbuild/protobuf";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { AuthService, UserSchema, type User } from "../../gen/hearth/v1/auth_pb";
import { WebhookService } from "../../gen/hearth/v1/webhook_pb";
import { ada, signedIn } from "../../test/fixtures";
import { renderApp } from "../../test/renderApp";
import { delivery, webhook, webhookServer } from "../../test/webhookServer";

const root: User = create(UserSchema, { ...ada, id: "u-root", username: "root", admin: true });

describe("installation webhooks", () => {
  it("adds installation webhooks and redelivers through the calls without a project", async () => {
    signedIn();
    const server = webhookServer(
      [
        webhook("w9", "https://ops.example.com/hearth", {
          active: false,
          consecutiveFailures: 5,
          disabledReason: "disabled after 5 deliveries in a row failed; the last: dial tcp: i/o timeout",
        }),
      ],
      { w9: [delivery("d1", "webhook.disabled", { state: "failed", attempts: 5, lastStatus: 0, lastError: "dial tcp: i/o timeout" })] },
    );
    const { router } = renderApp("/-/admin/webhooks", (r) => {
      r.service(AuthService, { getMe: () => ({ user: root, permissions: ["admin:users"] }) });
      r.service(WebhookService, server.handlers);
    });
    const user = userEvent.setup();
    const row = await screen.findByRole("row", { name: "https://ops.example.com/hearth" });
    expect(screen.getByRole("tab", { name: "Webhooks", selected: true })).toBeInTheDocument();
    expect(row).toHaveTextContent("dial tcp: i/o timeout");
    expect(server.owners).toEqual(["/"]);

    await user.click(screen.getByRole("button", { name: "New webhook" }));
    let dialog = await screen.findByRole("dialog", { name: "New webhook" });
    await user.type(within(dialog).getByRole("textbox", { name: /^URL/ }), "https://chat.example.com/in");
    await user.type(within(dialog).getByLabelText(/^Signing secret/), "a-secret-of-my-own-choosing");
    await user.click(within(dialog).getByRole("button", { name: "Add webhook" }));
    dialog = await screen.findByRole("dialog", { name: "Webhook added" });
    expect(within(dialog).getByLabelText("Signing secret")).toHaveTextContent("a-secret-of-my-own-choosing");
    expect(server.creates).toEqual([expect.objectContaining({ owner: "", name: "", url: "https://chat.example.com/in", events: [], secret: "a-secret-of-my-own-choosing" })]);
    await user.click(within(dialog).getByRole("button", { name: "I have copied it" }));
    expect(await screen.findByRole("row", { name: "https://chat.example.com/in" })).toHaveTextContent("All events");

    await user.click(within(row).getByRole("link", { name: "Deliveries of https://ops.example.com/hearth" }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/-/admin/webhooks/w9"));
    const table = await screen.findByRole("table", { name: "Deliveries" });
    // The webhook's own state heads its log.
    expect(screen.getByText("disabled after 5 deliveries in a row failed; the last: dial tcp: i/o timeout")).toBeInTheDocument();
    const first = within(table).getAllByRole("row")[1];
    expect(first).toHaveTextContent("webhook.disabled");
    expect(first).toHaveTextContent("No answer");
    await user.click(within(first).getByRole("button", { name: "Redeliver" }));
    await waitFor(() => expect(server.redelivers).toEqual([expect.objectContaining({ owner: "", name: "", id: "w9", deliveryId: "d1" })]));
  });

  it("tells an administrator without project:admin that installation webhooks need it", async () => {
    signedIn();
    const server = webhookServer([]);
    renderApp("/-/admin/webhooks", (r) => {
      r.service(AuthService, { getMe: () => ({ user: ada, permissions: ["admin:audit"] }) });
      r.service(WebhookService, server.handlers);
    });
    expect(await screen.findByText("Installation webhooks need project:admin installation-wide.")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "New webhook" })).not.toBeInTheDocument();
    expect(server.owners).toHaveLength(0);
  });
});
