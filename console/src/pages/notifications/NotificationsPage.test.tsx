import { create } from "@bufbuild/protobuf";
import { timestampFromDate, timestampNow } from "@bufbuild/protobuf/wkt";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { AuthService } from "../../gen/hearth/v1/auth_pb";
import {
  NotificationService,
  SubscriptionSchema,
  type ListNotificationsRequest,
  type MarkNotificationsReadRequest,
  type Notification,
  type SetSubscriptionRequest,
} from "../../gen/hearth/v1/notification_pb";
import { ProjectService } from "../../gen/hearth/v1/project_pb";
import { ada, project, signedIn } from "../../test/fixtures";
import { notification, notificationStream } from "../../test/notificationStream";
import { renderApp } from "../../test/renderApp";

// inbox answers ListNotifications and MarkNotificationsRead from memory,
// two to a page.
function inbox(initial: Notification[]) {
  let list = [...initial];
  const lists: ListNotificationsRequest[] = [];
  const marks: MarkNotificationsReadRequest[] = [];
  const unread = () => BigInt(list.filter((n) => !n.readTime).length);
  const handlers = {
    listNotifications: (req: ListNotificationsRequest) => {
      lists.push(req);
      const matching = list.filter((n) => !req.unreadOnly || !n.readTime);
      const start = req.pageToken ? Number(req.pageToken) : 0;
      const end = start + 2;
      return { notifications: matching.slice(start, end), nextPageToken: end < matching.length ? String(end) : "", unreadCount: unread() };
    },
    markNotificationsRead: (req: MarkNotificationsReadRequest) => {
      marks.push(req);
      list = list.map((n) => (!n.readTime && (req.ids.length === 0 || req.ids.includes(n.id)) ? { ...n, readTime: timestampNow() } : n));
      return { marked: 1n, unreadCount: unread() };
    },
  };
  return { handlers, lists, marks };
}

const three = [
  notification("n3", "Pipeline #9 failed on main", { minutesAgo: 1 }),
  notification("n2", "grace mentioned you in #4", { type: "mentioned", path: "/ada/tools/-/issues/4", reason: "recipient", minutesAgo: 30, read: true }),
  notification("n1", "Review requested on !2", { type: "merge_request.review_requested", path: "/ada/tools/-/merge_requests/2", minutesAgo: 60 * 26 }),
];

describe("notifications page", () => {
  it("lists the notifications a page at a time, filters the unread ones and marks all read", async () => {
    signedIn();
    const server = inbox(three);
    const { router } = renderApp("/-/notifications", (r) => {
      r.service(AuthService, { getMe: () => ({ user: ada }) });
      r.service(NotificationService, { ...server.handlers, watchNotifications: notificationStream({ unreadCount: 2n }).watch });
    });
    const user = userEvent.setup();
    expect(await screen.findByRole("heading", { name: "Notifications" })).toBeInTheDocument();
    const list = await screen.findByRole("list", { name: "Notifications" });
    expect(within(list).getAllByRole("listitem").map((li) => li.getAttribute("aria-label"))).toEqual([
      "Pipeline #9 failed on main",
      "grace mentioned you in #4",
    ]);
    const first = within(list).getByRole("listitem", { name: "Pipeline #9 failed on main" });
    expect(first).toHaveTextContent("Pipeline failed");
    expect(first).toHaveTextContent("For you");
    expect(first).toHaveTextContent("grace · 1 minute ago");
    expect(within(first).getByRole("link", { name: "Unread: Pipeline #9 failed on main" })).toHaveAttribute("href", "/ada/tools/-/pipelines/n3");
    const mention = within(list).getByRole("listitem", { name: "grace mentioned you in #4" });
    expect(within(mention).queryByRole("button", { name: /Mark read/ })).not.toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Load more" }));
    expect(await within(list).findByRole("listitem", { name: "Review requested on !2" })).toHaveTextContent("yesterday");
    expect(server.lists.at(-1)).toMatchObject({ pageToken: "2", unreadOnly: false });
    expect(screen.queryByRole("button", { name: "Load more" })).not.toBeInTheDocument();

    // Only the unread ones, kept in the URL.
    await user.click(screen.getByRole("radio", { name: /^Unread/ }));
    await waitFor(() => expect(router.state.location.search).toBe("?unread=1"));
    await waitFor(() => expect(server.lists.at(-1)).toMatchObject({ unreadOnly: true, pageToken: "" }));
    await waitFor(() =>
      expect(within(screen.getByRole("list", { name: "Notifications" })).getAllByRole("listitem").map((li) => li.getAttribute("aria-label"))).toEqual([
        "Pipeline #9 failed on main",
        "Review requested on !2",
      ]),
    );

    await user.click(screen.getByRole("button", { name: "Mark all read" }));
    expect(await screen.findByRole("heading", { name: "All caught up" })).toBeInTheDocument();
    expect(server.marks).toEqual([expect.objectContaining({ ids: [] })]);
    expect(await screen.findByRole("button", { name: "Notifications" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Mark all read" })).toBeDisabled();
  });

  it("marks one read", async () => {
    signedIn();
    const server = inbox(three);
    renderApp("/-/notifications", (r) => {
      r.service(AuthService, { getMe: () => ({ user: ada }) });
      r.service(NotificationService, { ...server.handlers, watchNotifications: notificationStream({ unreadCount: 2n }).watch });
    });
    const user = userEvent.setup();
    const row = await screen.findByRole("listitem", { name: "Pipeline #9 failed on main" });
    await user.click(within(row).getByRole("button", { name: "Mark read: Pipeline #9 failed on main" }));
    await waitFor(() => expect(within(row).queryByRole("button", { name: /Mark read/ })).not.toBeInTheDocument());
    expect(within(row).getByRole("link", { name: "Pipeline #9 failed on main" })).toBeInTheDocument();
    expect(server.marks).toEqual([expect.objectContaining({ ids: ["n3"] })]);
    expect(await screen.findByRole("button", { name: "Notifications (1 unread)" })).toBeInTheDocument();
  });
});

describe("notification settings", () => {
  it("lists the subscriptions by project name", async () => {
    signedIn();
    const when = timestampFromDate(new Date("2026-11-02T12:00:00Z"));
    renderApp("/-/notifications/settings", (r) => {
      r.service(AuthService, { getMe: () => ({ user: ada }) });
      r.service(NotificationService, {
        watchNotifications: notificationStream({ unreadCount: 0n }).watch,
        listSubscriptions: () => ({
          subscriptions: [
            create(SubscriptionSchema, { projectId: "p-tools", level: "watch", updateTime: when }),
            create(SubscriptionSchema, { projectId: "p-tools", subject: "#12", level: "mute", updateTime: when }),
            create(SubscriptionSchema, { projectId: "p-gone", level: "mute", updateTime: when }),
          ],
        }),
      });
      r.service(ProjectService, {
        getProjectById: (req) => {
          if (req.id !== "p-tools") {
            throw new Error("not found");
          }
          return { project: project("ada", "tools", { id: "p-tools" }) };
        },
      });
    });
    expect(await screen.findByRole("tab", { name: "Settings", selected: true })).toBeInTheDocument();
    const table = await screen.findByRole("table", { name: "Subscriptions" });
    const whole = await within(table).findByRole("row", { name: "ada/tools" });
    expect(whole).toHaveTextContent("Whole project");
    expect(whole).toHaveTextContent("Watch");
    expect(within(whole).getByRole("link", { name: "ada/tools" })).toHaveAttribute("href", "/ada/tools");
    const thread = within(table).getByRole("row", { name: "ada/tools #12" });
    expect(thread).toHaveTextContent("Mute");
    expect(within(thread).getByRole("link", { name: "#12" })).toHaveAttribute("href", "/ada/tools/-/issues/12");
    // A project that cannot be named shows by its id.
    expect(within(table).getByRole("row", { name: "p-gone" })).toHaveTextContent("Mute");
  });
});

describe("project notification level", () => {
  it("sets the level from the project's header", async () => {
    signedIn();
    const sets: SetSubscriptionRequest[] = [];
    let level = "";
    renderApp("/ada/tools", (r) => {
      r.service(AuthService, { getMe: () => ({ user: ada }) });
      r.service(ProjectService, { getProject: () => ({ project: project("ada", "tools") }) });
      r.service(NotificationService, {
        watchNotifications: notificationStream({ unreadCount: 0n }).watch,
        listSubscriptions: () => ({
          subscriptions: level ? [create(SubscriptionSchema, { projectId: "ada/tools", level })] : [],
        }),
        setSubscription: (req) => {
          sets.push(req);
          level = req.level;
          return {};
        },
      });
    });
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Notifications: Participate" }));
    await user.click(await screen.findByRole("menuitem", { name: /^Watch/, hidden: true }));
    expect(await screen.findByRole("button", { name: "Notifications: Watch" })).toBeInTheDocument();
    expect(sets).toEqual([expect.objectContaining({ owner: "ada", name: "tools", subject: "", level: "watch" })]);

    // Back to the default: level "".
    await user.click(screen.getByRole("button", { name: "Notifications: Watch" }));
    await user.click(await screen.findByRole("menuitem", { name: "Use the default", hidden: true }));
    expect(await screen.findByRole("button", { name: "Notifications: Participate" })).toBeInTheDocument();
    expect(sets[1]).toMatchObject({ owner: "ada", name: "tools", level: "" });
  });
});
