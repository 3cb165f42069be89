import { Code, ConnectError } from "@connectrpc/connect";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { getCsrfToken } from "../api/csrf";
import { AuthService } from "../gen/hearth/v1/auth_pb";
import { ProjectService } from "../gen/hearth/v1/project_pb";
import { ada, signedIn } from "../test/fixtures";
import { renderApp } from "../test/renderApp";

describe("app shell", () => {
  it("signs out from the user menu", async () => {
    signedIn("csrf-1");
    let logoutCsrf: string | null = null;
    const { router } = renderApp("/projects", (r) => {
      r.service(AuthService, {
        getMe: () => ({ user: ada }),
        logout: (_req, ctx) => {
          logoutCsrf = ctx.requestHeader.get("X-CSRF-Token");
          return {};
        },
      });
      r.service(ProjectService, { listProjects: () => ({ projects: [] }) });
    });
    const user = userEvent.setup();
    const account = await screen.findByRole("button", { name: "Account menu for ada" });
    await user.click(account);
    await waitFor(() => expect(account).toHaveAttribute("aria-expanded", "true"));
    // The dropdown is open (aria-expanded) but jsdom may not have run its
    // entry transition yet, which leaves it display:none to the a11y tree.
    await user.click(await screen.findByRole("menuitem", { name: "Sign out", hidden: true }));

    await waitFor(() => expect(router.state.location.pathname).toBe("/sign-in"));
    expect(await screen.findByRole("heading", { name: "Sign in" })).toBeInTheDocument();
    expect(router.state.location.search).toBe("?next=%2Fprojects");
    expect(logoutCsrf).toBe("csrf-1");
    expect(getCsrfToken()).toBeNull();
  });

  it("toggles and remembers the colour scheme", async () => {
    signedIn();
    renderApp("/projects", (r) => {
      r.service(AuthService, { getMe: () => ({ user: ada }) });
      r.service(ProjectService, { listProjects: () => ({ projects: [] }) });
    });
    const toggle = await screen.findByRole("button", { name: "Switch to dark theme" });
    await userEvent.setup().click(toggle);
    expect(await screen.findByRole("button", { name: "Switch to light theme" })).toBeInTheDocument();
    expect(window.localStorage.getItem("hearth.colorScheme")).toBe("dark");
    expect(document.documentElement).toHaveAttribute("data-mantine-color-scheme", "dark");
  });

  it("shows a 404 page inside the shell for an unknown path", async () => {
    signedIn();
    renderApp("/-/no/such/page", (r) => {
      r.service(AuthService, { getMe: () => ({ user: ada }) });
    });
    expect(await screen.findByRole("heading", { name: "Page not found" })).toBeInTheDocument();
    expect(screen.getByText("/-/no/such/page")).toBeInTheDocument();
    const nav = screen.getAllByRole("navigation", { name: "Main" })[0];
    expect(within(nav).getByText("Projects")).toBeInTheDocument();
  });

  it("sends a user who must change their password to do that first", async () => {
    signedIn();
    renderApp("/projects", (r) => {
      r.service(AuthService, { getMe: () => ({ user: { ...ada, mustChangePassword: true } }) });
    });
    expect(await screen.findByRole("heading", { name: "Change password" })).toBeInTheDocument();
    expect(screen.getByText(/choose your own before going on/i)).toBeInTheDocument();
  });

  it("forgets an ended session and asks to sign in", async () => {
    signedIn();
    renderApp("/projects", (r) => {
      r.service(AuthService, {
        getMe: () => {
          throw new ConnectError("session expired", Code.Unauthenticated);
        },
      });
    });
    expect(await screen.findByRole("heading", { name: "Sign in" })).toBeInTheDocument();
    expect(getCsrfToken()).toBeNull();
  });

  it("asks to sign in when the session cannot be checked", async () => {
    signedIn();
    renderApp("/projects", (r) => {
      r.service(AuthService, {
        getMe: () => {
          throw new Error("unreachable");
        },
      });
    });
    // GetMe failing with a non-auth error: the session cannot be checked,
    // so the user is asked to sign in (and sees why if it persists).
    expect(await screen.findByRole("heading", { name: "Sign in" })).toBeInTheDocument();
  });

  it("shows Administration in the navigation to administrators only", async () => {
    signedIn();
    renderApp("/projects", (r) => {
      r.service(AuthService, { getMe: () => ({ user: { ...ada, admin: true } }) });
      r.service(ProjectService, { listProjects: () => ({ projects: [] }) });
    });
    const nav = (await screen.findAllByRole("navigation", { name: "Main" }))[0];
    expect(within(nav).getByText("Administration")).toBeInTheDocument();
  });

  it("hides Administration from everyone else", async () => {
    signedIn();
    renderApp("/projects", (r) => {
      r.service(AuthService, { getMe: () => ({ user: ada }) });
      r.service(ProjectService, { listProjects: () => ({ projects: [] }) });
    });
    const nav = (await screen.findAllByRole("navigation", { name: "Main" }))[0];
    expect(within(nav).getByText("Projects")).toBeInTheDocument();
    expect(within(nav).queryByText("Administration")).not.toBeInTheDocument();
  });
});
