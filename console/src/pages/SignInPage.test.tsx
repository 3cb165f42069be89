import { Code, ConnectError } from "@connectrpc/connect";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { getCsrfToken } from "../api/csrf";
import { AuthService } from "../gen/hearth/v1/auth_pb";
import { ProjectService } from "../gen/hearth/v1/project_pb";
import { ada, project } from "../test/fixtures";
import { renderApp } from "../test/renderApp";

describe("sign in", () => {
  it("signs in, keeps the CSRF token and goes where the user was headed", async () => {
    const logins: { username: string; password: string }[] = [];
    const { router } = renderApp("/projects?q=demo", (r) => {
      r.service(AuthService, {
        login: (req) => {
          logins.push({ username: req.username, password: req.password });
          return { user: ada, csrfToken: "csrf-from-login" };
        },
        getMe: () => ({ user: ada, permissions: ["project:read"] }),
      });
      r.service(ProjectService, {
        listProjects: () => ({ projects: [project("ada", "demo")] }),
      });
    });

    // Signed out: the deep link leads to the sign-in page, remembering it.
    expect(await screen.findByRole("heading", { name: "Sign in" })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/sign-in");

    const user = userEvent.setup();
    await user.type(screen.getByLabelText(/username or email/i), "ada");
    await user.type(screen.getByLabelText(/^password/i), "correct horse");
    await user.click(screen.getByRole("button", { name: "Sign in" }));

    expect(await screen.findByRole("heading", { name: "Projects" })).toBeInTheDocument();
    expect(router.state.location.pathname + router.state.location.search).toBe("/projects?q=demo");
    expect(logins).toEqual([{ username: "ada", password: "correct horse" }]);
    expect(getCsrfToken()).toBe("csrf-from-login");
    expect(await screen.findByRole("listitem", { name: "ada/demo" })).toBeInTheDocument();
  });

  it("says a wrong password is wrong, and stays signed out", async () => {
    renderApp("/sign-in", (r) => {
      r.service(AuthService, {
        login: () => {
          throw new ConnectError("invalid username or password", Code.Unauthenticated);
        },
      });
    });
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText(/username or email/i), "ada");
    await user.type(screen.getByLabelText(/^password/i), "wrong");
    await user.click(screen.getByRole("button", { name: "Sign in" }));

    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Wrong username or password.");
    expect(getCsrfToken()).toBeNull();
    expect(screen.getByRole("button", { name: "Sign in" })).toBeEnabled();
  });

  it("says when sign-in is throttled", async () => {
    renderApp("/sign-in", (r) => {
      r.service(AuthService, {
        login: () => {
          throw new ConnectError("too many failed sign-ins; retry in 60s", Code.ResourceExhausted);
        },
      });
    });
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText(/username or email/i), "ada");
    await user.type(screen.getByLabelText(/^password/i), "x");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    await waitFor(() => expect(screen.getByRole("alert")).toHaveTextContent(/too many failed attempts/i));
    expect(screen.getByRole("alert")).toHaveTextContent("retry in 60s");
  });

  it("keeps the sign-in button disabled until both fields are filled", async () => {
    renderApp("/sign-in", () => {});
    const button = await screen.findByRole("button", { name: "Sign in" });
    expect(button).toBeDisabled();
    await userEvent.setup().type(screen.getByLabelText(/username or email/i), "ada");
    expect(button).toBeDisabled();
  });
});
