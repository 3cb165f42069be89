import { timestampNow } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { AuthService } from "../../gen/hearth/v1/auth_pb";
import { NotificationService, type ListNotificationsRequest, type MarkNotificationsReadRequest } from "../../gen/hearth/v1/notification_pb";
import { ProjectService } from "../../gen/hearth/v1/project_pb";
import { ada, signedIn } from "../../test/fixtures";
import { notification, notificationStream } from "../../test/notificationStream";
import { renderApp } from "../../test/renderApp";

const latest = [
  notification("n2", "Pipeline #4 failed on main", { minutesAgo: 3 }),
  notification("n1", "grace asked you to review !3", { type: "merge_request.review_requested", path: "/ada/tools/-/merge_requests/3", minutesAgo: 90, read: true }),
];

async function openBell(name: string | RegExp) {
  const user = userEvent.setup();
  await user.click(await screen.findByRole("button", { name }));
  const dialog = await screen.findByRole("dialog", { name: "Notifications" });
  return { user, dialog };
}

describe("notification bell", () => {
  it("shows the unread count from the stream and adds what arrives", async () => {
    signedIn();
    const stream = notificationStream({ unreadCount: 2n });
    const lists: ListNotificationsRequest[] = [];
    renderApp("/projects", (r) => {
      r.service(AuthService, { getMe: () => ({ user: ada }) });
      r.service(ProjectService, { listProjects: () => ({ projects: [] }) });
      r.service(NotificationService, {
        watchNotifications: stream.watch,
        listNotifications: (req) => {
          lists.push(req);
          return { notifications: latest, unreadCount: 2n };
        },
      });
    });
    expect(await screen.findByRole("button", { name: "Notifications (2 unread)" })).toBeInTheDocument();
    // The stream alone keeps the count: nothing was listed.
    expect(lists).toHaveLength(0);

    const { dialog } = await openBell("Notifications (2 unread)");
    const list = await within(dialog).findByRole("list", { name: "Latest notifications" });
    const items = within(list).getAllByRole("link");
    expect(items.map((a) => a.textContent)).toEqual([
      expect.stringMatching(/^Unread: Pipeline #4 failed on main.*grace · 3 minutes ago$/),
      expect.stringMatching(/^grace asked you to review !3.*grace · 2 hours ago$/),
    ]);
    expect(items[0]).toHaveAttribute("href", "/ada/tools/-/pipelines/n2");
    expect(lists).toEqual([expect.objectContaining({ pageSize: 10, unreadOnly: false })]);

    // A new one arrives while the dropdown is open: on top, and counted.
    stream.push({ notification: notification("n3", "Pipeline #5 failed on main", { minutesAgo: 0 }), unreadCount: 3n });
    expect(await screen.findByRole("button", { name: "Notifications (3 unread)" })).toBeInTheDocument();
    await waitFor(() => expect(within(list).getAllByRole("link")[0]).toHaveTextContent("Unread: Pipeline #5 failed on main"));
    expect(within(list).getAllByRole("link")).toHaveLength(3);
    expect(lists).toHaveLength(1);
    expect(within(dialog).getByRole("link", { name: "All notifications" })).toHaveAttribute("href", "/-/notifications");
  });

  it("marks a notification read when it is opened, and goes to it", async () => {
    signedIn();
    const stream = notificationStream({ unreadCount: 1n });
    const marks: MarkNotificationsReadRequest[] = [];
    const { router } = renderApp("/projects", (r) => {
      r.service(AuthService, { getMe: () => ({ user: ada }) });
      r.service(ProjectService, { listProjects: () => ({ projects: [] }) });
      r.service(NotificationService, {
        watchNotifications: stream.watch,
        listNotifications: () => ({
          notifications: latest.map((n) => (marks.some((m) => m.ids.includes(n.id)) ? { ...n, readTime: timestampNow() } : n)),
          unreadCount: marks.length > 0 ? 0n : 1n,
        }),
        markNotificationsRead: (req) => {
          marks.push(req);
          return { marked: 1n, unreadCount: 0n };
        },
      });
    });
    const { user, dialog } = await openBell("Notifications (1 unread)");
    await user.click(await within(dialog).findByRole("link", { name: /Pipeline #4 failed on main/ }));

    await waitFor(() => expect(router.state.location.pathname).toBe("/ada/tools/-/pipelines/n2"));
    await waitFor(() => expect(marks).toHaveLength(1));
    expect(marks[0].ids).toEqual(["n2"]);
    expect(await screen.findByRole("button", { name: "Notifications" })).toBeInTheDocument();

    // A read one is opened without marking anything.
    await user.click(screen.getByRole("button", { name: "Notifications" }));
    const again = await screen.findByRole("dialog", { name: "Notifications" });
    expect(within(again).getByRole("link", { name: /^Pipeline #4 failed on main/ })).toBeInTheDocument();
    await user.click(within(again).getByRole("link", { name: /grace asked you to review !3/ }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/ada/tools/-/merge_requests/3"));
    expect(marks).toHaveLength(1);
  });

  it("marks all read from the dropdown", async () => {
    signedIn();
    const stream = notificationStream({ unreadCount: 2n });
    const marks: MarkNotificationsReadRequest[] = [];
    renderApp("/projects", (r) => {
      r.service(AuthService, { getMe: () => ({ user: ada }) });
      r.service(ProjectService, { listProjects: () => ({ projects: [] }) });
      r.service(NotificationService, {
        watchNotifications: stream.watch,
        listNotifications: () => ({ notifications: [latest[0], notification("n0", "Issue #2 closed", { type: "issue.closed" })], unreadCount: 2n }),
        markNotificationsRead: (req) => {
          marks.push(req);
          return { marked: 2n, unreadCount: 0n };
        },
      });
    });
    const { user, dialog } = await openBell("Notifications (2 unread)");
    await within(dialog).findByRole("link", { name: /Issue #2 closed/ });
    await user.click(within(dialog).getByRole("button", { name: "Mark all read" }));
    await waitFor(() => expect(marks).toHaveLength(1));
    expect(marks[0].ids).toEqual([]);
    expect(await screen.findByRole("button", { name: "Notifications" })).toBeInTheDocument();
    await waitFor(() => expect(within(dialog).queryByText("Unread:", { exact: false })).not.toBeInTheDocument());
    expect(within(dialog).getByRole("button", { name: "Mark all read" })).toBeDisabled();
  });

  it("counts from the list when the stream fails", async () => {
    signedIn();
    const lists: ListNotificationsRequest[] = [];
    renderApp("/projects", (r) => {
      r.service(AuthService, { getMe: () => ({ user: ada }) });
      r.service(ProjectService, { listProjects: () => ({ projects: [] }) });
      r.service(NotificationService, {
        // eslint-disable-next-line require-yield
        async *watchNotifications() {
          throw new ConnectError("the server is restarting", Code.Unavailable);
        },
        listNotifications: (req) => {
          lists.push(req);
          return { notifications: [], unreadCount: 4n };
        },
      });
    });
    expect(await screen.findByRole("button", { name: "Notifications (4 unread)" })).toBeInTheDocument();
    expect(lists[0]).toMatchObject({ pageSize: 1 });
  });

  it("hides on a server without notifications", async () => {
    signedIn();
    renderApp("/projects", (r) => {
      r.service(AuthService, { getMe: () => ({ user: ada }) });
      r.service(ProjectService, { listProjects: () => ({ projects: [] }) });
    });
    const account = await screen.findByRole("button", { name: "Account menu for ada" });
    await waitFor(() => expect(screen.queryByRole("button", { name: /^Notifications/ })).not.toBeInTheDocument());
    expect(account).toBeInTheDocument();
  });
});
