import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { AuthService } from "../../gen/hearth/v1/auth_pb";
import { TokenSchema, TokenService, type CreateTokenRequest, type Token } from "../../gen/hearth/v1/token_pb";
import { ada, signedIn } from "../../test/fixtures";
import { renderApp } from "../../test/renderApp";

const secret = "hth_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG";

function token(id: string, name: string, fields: Omit<MessageInitShape<typeof TokenSchema>, "$typeName"> = {}): Token {
  return create(TokenSchema, {
    id,
    name,
    scopes: ["repo:read"],
    prefix: "hth_abcd",
    createTime: timestampFromDate(new Date("2026-11-01T12:00:00Z")),
    expireTime: timestampFromDate(new Date("2099-01-01T00:00:00Z")),
    ...fields,
  });
}

describe("access tokens", () => {
  it("creates a token, shows it once with a copy button, then forgets it", async () => {
    signedIn("csrf-t");
    const live: Token[] = [token("t1", "laptop", { lastUsedTime: timestampFromDate(new Date("2026-11-02T08:00:00Z")) })];
    const requests: CreateTokenRequest[] = [];
    const csrf: (string | null)[] = [];
    renderApp("/-/tokens", (r) => {
      r.service(AuthService, { getMe: () => ({ user: ada }) });
      r.service(TokenService, {
        listTokens: () => ({ tokens: live }),
        createToken: (req, ctx) => {
          requests.push(req);
          csrf.push(ctx.requestHeader.get("X-CSRF-Token"));
          const info = token("t2", req.name, { scopes: req.scopes, expireTime: req.expireTime });
          live.push(info);
          return { info, token: secret };
        },
      });
    });
    const user = userEvent.setup();
    const table = await screen.findByRole("table", { name: "Access tokens" });
    expect(within(table).getByRole("row", { name: "laptop" })).toHaveTextContent("repo:read");

    await user.click(screen.getByRole("button", { name: "New token" }));
    const dialog = await screen.findByRole("dialog", { name: "New access token" });
    await user.type(within(dialog).getByRole("textbox", { name: /name/i }), "ci");
    await user.click(within(dialog).getByRole("checkbox", { name: /repo:write/ }));
    await user.selectOptions(within(dialog).getByRole("combobox", { name: "Expires in" }), "90");
    await user.click(within(dialog).getByRole("button", { name: "Create token" }));

    const shown = await screen.findByRole("dialog", { name: "Your new token" });
    expect(within(shown).getByLabelText("New token")).toHaveTextContent(secret);
    expect(shown).toHaveTextContent(/only time the token is shown/);
    await user.click(within(shown).getByRole("button", { name: "Copy token" }));
    await waitFor(async () => expect(await navigator.clipboard.readText()).toBe(secret));
    expect(await within(shown).findByRole("button", { name: "Copied" })).toBeInTheDocument();

    expect(requests).toHaveLength(1);
    expect(requests[0].name).toBe("ci");
    expect(requests[0].scopes.sort()).toEqual(["api", "repo:write"]);
    const days = (Number(requests[0].expireTime?.seconds) * 1000 - Date.now()) / 86_400_000;
    expect(Math.round(days)).toBe(90);
    expect(csrf).toEqual(["csrf-t"]);
    // The admin scope is offered to administrators only.
    expect(screen.queryByRole("checkbox", { name: /^admin/ })).not.toBeInTheDocument();

    await user.click(within(shown).getByRole("button", { name: "I have copied it" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());
    expect(await screen.findByRole("row", { name: "ci" })).toBeInTheDocument();
    // Shown once: nowhere on the page any more.
    expect(screen.queryByText(secret)).not.toBeInTheDocument();
  });

  it("revokes a token after confirmation", async () => {
    signedIn();
    let live: Token[] = [token("t1", "laptop"), token("t2", "ci")];
    const revoked: string[] = [];
    renderApp("/-/tokens", (r) => {
      r.service(AuthService, { getMe: () => ({ user: ada }) });
      r.service(TokenService, {
        listTokens: () => ({ tokens: live }),
        revokeToken: (req) => {
          revoked.push(req.id);
          live = live.filter((t) => t.id !== req.id);
          return {};
        },
      });
    });
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Revoke ci" }));
    const dialog = await screen.findByRole("dialog", { name: "Revoke token?" });
    expect(dialog).toHaveTextContent("“ci” stops working at once");
    await user.click(within(dialog).getByRole("button", { name: "Revoke token" }));
    await waitFor(() => expect(screen.queryByRole("row", { name: "ci" })).not.toBeInTheDocument());
    expect(revoked).toEqual(["t2"]);
    expect(screen.getByRole("row", { name: "laptop" })).toBeInTheDocument();
  });

  it("shows an empty state", async () => {
    signedIn();
    renderApp("/-/tokens", (r) => {
      r.service(AuthService, { getMe: () => ({ user: ada }) });
      r.service(TokenService, { listTokens: () => ({ tokens: [] }) });
    });
    expect(await screen.findByRole("heading", { name: "No access tokens" })).toBeInTheDocument();
  });
});
