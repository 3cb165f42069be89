import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { AuthService, UserSchema, type User } from "../../gen/hearth/v1/auth_pb";
import {
  SecretSchema,
  SecretService,
  SecretUsage,
  type DeleteInstanceSecretRequest,
  type Secret,
  type SetInstanceSecretRequest,
} from "../../gen/hearth/v1/secret_pb";
import { ada, signedIn } from "../../test/fixtures";
import { renderApp } from "../../test/renderApp";

const root: User = create(UserSchema, { ...ada, id: "u-root", username: "root", admin: true });

function secret(name: string, fields: Partial<Pick<Secret, "environment" | "version" | "description">> = {}): Secret {
  return create(SecretSchema, {
    name,
    version: 1,
    scope: "instance",
    usages: [SecretUsage.PIPELINE],
    updatedBy: "root",
    updateTime: timestampFromDate(new Date("2026-11-02T12:00:00Z")),
    ...fields,
  });
}

describe("installation secrets", () => {
  it("adds, edits and deletes installation secrets through the Instance calls", async () => {
    signedIn();
    let secrets = [secret("REGISTRY_PASSWORD", { version: 4 })];
    const sets: SetInstanceSecretRequest[] = [];
    const deletes: DeleteInstanceSecretRequest[] = [];
    renderApp("/-/admin/secrets", (r) => {
      r.service(AuthService, { getMe: () => ({ user: root, permissions: ["admin:users", "secret:read", "secret:write"] }) });
      r.service(SecretService, {
        listInstanceSecrets: () => ({ secrets }),
        setInstanceSecret: (req) => {
          sets.push(req);
          const input = req.secret!;
          const old = secrets.find((s) => s.name === input.name && s.environment === input.environment);
          const saved = secret(input.name, {
            environment: input.environment,
            description: input.description,
            version: (old?.version ?? 0) + (input.value.length > 0 ? 1 : 0),
          });
          secrets = old ? secrets.map((s) => (s === old ? saved : s)) : [...secrets, saved];
          return { secret: saved };
        },
        deleteInstanceSecret: (req) => {
          deletes.push(req);
          secrets = secrets.filter((s) => s.name !== req.secretName || s.environment !== req.environment);
          return {};
        },
      });
    });
    const user = userEvent.setup();
    expect(await screen.findByRole("row", { name: "REGISTRY_PASSWORD" })).toHaveTextContent("v4");
    expect(screen.getByRole("tab", { name: "Secrets", selected: true })).toBeInTheDocument();
    // Only a project's data key rotates from the console.
    expect(screen.queryByRole("region", { name: "Data key" })).not.toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "New secret" }));
    let dialog = await screen.findByRole("dialog", { name: "New secret" });
    await user.type(within(dialog).getByRole("textbox", { name: /^name/i }), "SENTRY_DSN");
    await user.click(within(dialog).getByRole("switch", { name: /multi-line value/i }));
    await user.type(within(dialog).getByRole("textbox", { name: /^value/i }), "line one{Enter}line two");
    await user.click(within(dialog).getByRole("button", { name: "Save secret" }));
    expect(await screen.findByRole("row", { name: "SENTRY_DSN" })).toHaveTextContent("v1");
    expect(sets).toHaveLength(1);
    expect(new TextDecoder().decode(sets[0].secret!.value)).toBe("line one\nline two");
    expect(document.body).not.toHaveTextContent("line one");

    await user.click(screen.getByRole("button", { name: "Edit secret REGISTRY_PASSWORD" }));
    dialog = await screen.findByRole("dialog", { name: "Edit secret REGISTRY_PASSWORD" });
    await user.type(within(dialog).getByRole("textbox", { name: /^description/i }), "Pulls base images");
    await user.click(within(dialog).getByRole("button", { name: "Save secret" }));
    expect(await screen.findByRole("row", { name: "REGISTRY_PASSWORD" })).toHaveTextContent("Pulls base images");
    expect(sets).toHaveLength(2);
    expect(sets[1].secret).toMatchObject({ name: "REGISTRY_PASSWORD", description: "Pulls base images" });
    expect(sets[1].secret!.value).toHaveLength(0);

    await user.click(screen.getByRole("button", { name: "Delete secret SENTRY_DSN" }));
    dialog = await screen.findByRole("dialog", { name: "Delete secret?" });
    await user.click(within(dialog).getByRole("button", { name: "Delete secret" }));
    await waitFor(() => expect(screen.queryByRole("row", { name: "SENTRY_DSN" })).not.toBeInTheDocument());
    expect(deletes).toHaveLength(1);
    expect(deletes[0]).toMatchObject({ secretName: "SENTRY_DSN", environment: "" });
  });

  it("shows an administrator without secret:write the list read-only", async () => {
    signedIn();
    renderApp("/-/admin/secrets", (r) => {
      r.service(AuthService, { getMe: () => ({ user: ada, permissions: ["admin:audit", "secret:read"] }) });
      r.service(SecretService, { listInstanceSecrets: () => ({ secrets: [secret("REGISTRY_PASSWORD")] }) });
    });
    expect(await screen.findByRole("row", { name: "REGISTRY_PASSWORD" })).toBeInTheDocument();
    expect(screen.getByText("Changing installation secrets needs secret:write installation-wide.")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "New secret" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Delete secret/ })).not.toBeInTheDocument();
  });
});
