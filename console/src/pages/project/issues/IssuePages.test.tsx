import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { AuthService } from "../../../gen/hearth/v1/auth_pb";
import {
  CommentSchema,
  IssueSchema,
  IssueService,
  IssueState,
  LabelSchema,
  type CreateCommentRequest,
  type CreateIssueRequest,
  type Issue,
  type ListIssuesRequest,
  type UpdateIssueRequest,
} from "../../../gen/hearth/v1/issue_pb";
import { MergeRequestState } from "../../../gen/hearth/v1/merge_request_reference_pb";
import { ProjectService } from "../../../gen/hearth/v1/project_pb";
import { ada, project, signedIn } from "../../../test/fixtures";
import { renderApp } from "../../../test/renderApp";

const when = timestampFromDate(new Date("2026-11-20T10:00:00Z"));

function issue(number: number, fields: Omit<MessageInitShape<typeof IssueSchema>, "$typeName"> = {}): Issue {
  return create(IssueSchema, {
    id: `issue-${number}`,
    number: BigInt(number),
    title: `Issue ${number}`,
    body: "",
    state: IssueState.OPEN,
    author: "bob",
    createTime: when,
    updateTime: when,
    ...fields,
  });
}

const labels = [
  create(LabelSchema, { name: "bug", color: "#d73a4a", description: "Something is broken" }),
  create(LabelSchema, { name: "docs", color: "#0075ca" }),
];

function base(r: ConnectRouter, archived = false) {
  r.service(AuthService, { getMe: () => ({ user: ada }) });
  r.service(ProjectService, { getProject: (req) => ({ project: project(req.owner, req.name, { archived }) }) });
}

describe("issue list", () => {
  it("reads its filters from the URL and writes changes back", async () => {
    signedIn();
    const calls: ListIssuesRequest[] = [];
    const { router } = renderApp("/ada/tools/-/issues?state=closed&label=bug&q=crash", (r) => {
      base(r);
      r.service(IssueService, {
        listLabels: () => ({ labels }),
        listIssues: (req) => {
          calls.push(req);
          return {
            issues: [issue(3, { title: "Crash on start", state: IssueState.CLOSED, labels: ["bug"], assignees: ["ada"] })],
            nextPageToken: req.pageToken ? "" : "page-2",
          };
        },
      });
    });
    expect(await screen.findByRole("link", { name: "Crash on start" })).toHaveAttribute("href", "/ada/tools/-/issues/3");
    expect(calls[0]).toMatchObject({ owner: "ada", name: "tools", state: IssueState.CLOSED, all: false, label: "bug", query: "crash" });
    expect(screen.getByRole("searchbox", { name: "Search issues" })).toHaveValue("crash");

    const user = userEvent.setup();
    // The next page, by its token.
    await user.click(screen.getByRole("button", { name: "Load more" }));
    await waitFor(() => expect(calls.at(-1)?.pageToken).toBe("page-2"));

    // All states, and another search: both land in the URL.
    await user.click(screen.getByRole("radio", { name: "All" }));
    await waitFor(() => expect(router.state.location.search).toContain("state=all"));
    await waitFor(() => expect(calls.at(-1)).toMatchObject({ all: true, label: "bug", query: "crash" }));
    await user.clear(screen.getByRole("searchbox", { name: "Search issues" }));
    await user.type(screen.getByRole("searchbox", { name: "Search issues" }), "boot");
    await waitFor(() => expect(new URLSearchParams(router.state.location.search).get("q")).toBe("boot"));
    await waitFor(() => expect(calls.at(-1)).toMatchObject({ all: true, query: "boot" }));
    await user.type(screen.getByRole("textbox", { name: "Assignee" }), "ada");
    await waitFor(() => expect(new URLSearchParams(router.state.location.search).get("assignee")).toBe("ada"));
    await waitFor(() => expect(calls.at(-1)).toMatchObject({ assignee: "ada" }));
  });

  it("says when there are no issues, and when none match", async () => {
    signedIn();
    renderApp("/ada/tools/-/issues", (r) => {
      base(r);
      r.service(IssueService, { listLabels: () => ({ labels: [] }), listIssues: () => ({ issues: [] }) });
    });
    expect(await screen.findByRole("heading", { name: "No open issues" })).toBeInTheDocument();
  });

  it("says when no issue matches the filters", async () => {
    signedIn();
    renderApp("/ada/tools/-/issues?q=zzz", (r) => {
      base(r);
      r.service(IssueService, { listLabels: () => ({ labels: [] }), listIssues: () => ({ issues: [] }) });
    });
    expect(await screen.findByRole("heading", { name: "No matching issues" })).toBeInTheDocument();
  });
});

describe("new issue", () => {
  it("opens an issue with a title, a body and labels, then shows it", async () => {
    signedIn("csrf-9");
    let sent: CreateIssueRequest | null = null;
    let csrf: string | null = null;
    const { router } = renderApp("/ada/tools/-/issues/new", (r) => {
      base(r);
      r.service(IssueService, {
        listLabels: () => ({ labels }),
        createIssue: (req, ctx) => {
          sent = req;
          csrf = ctx.requestHeader.get("X-CSRF-Token");
          return { issue: issue(7, { title: req.title, body: req.body, labels: req.labels }) };
        },
        getIssue: (req) => ({ issue: issue(Number(req.number), { title: "Crash on start", labels: ["bug"] }) }),
        listComments: () => ({ comments: [] }),
      });
    });
    const user = userEvent.setup();
    const title = await screen.findByRole("textbox", { name: "Title" });
    // No title: refused here first.
    await user.click(screen.getByRole("button", { name: "Open issue" }));
    expect(await screen.findByText("Give the issue a title.")).toBeInTheDocument();
    expect(sent).toBeNull();

    await user.type(title, "Crash on start");
    await user.type(screen.getByRole("textbox", { name: "Description" }), "It **crashes**.");
    await user.click(screen.getByRole("tab", { name: "Preview" }));
    expect(await screen.findByText("crashes")).toBeInTheDocument();
    await user.click(screen.getByRole("textbox", { name: "Labels" }));
    await user.click(await screen.findByRole("option", { name: "bug", hidden: true }));
    await user.click(screen.getByRole("button", { name: "Open issue" }));

    await waitFor(() => expect(router.state.location.pathname).toBe("/ada/tools/-/issues/7"));
    expect(sent).toMatchObject({ owner: "ada", name: "tools", title: "Crash on start", body: "It **crashes**.", labels: ["bug"] });
    expect(csrf).toBe("csrf-9");
    expect(await screen.findByRole("heading", { name: /Crash on start/ })).toBeInTheDocument();
  });

  it("says an archived project is read-only", async () => {
    signedIn();
    renderApp("/ada/tools/-/issues/new", (r) => {
      base(r, true);
      r.service(IssueService, {
        listLabels: () => ({ labels: [] }),
        createIssue: () => {
          throw new ConnectError("project is archived", Code.FailedPrecondition);
        },
      });
    });
    expect(await screen.findByText("This project is archived")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Open issue" })).toBeDisabled();
  });
});

describe("issue page", () => {
  function detailApi(r: ConnectRouter, log: { comments: CreateCommentRequest[]; updates: UpdateIssueRequest[] }) {
    base(r);
    let state = IssueState.OPEN;
    const comments = [
      create(CommentSchema, { id: "c1", author: "bob", body: "Seen it too, see #2.", createTime: when, updateTime: when }),
      create(CommentSchema, { id: "c2", author: "ada", body: "Mine", createTime: when, updateTime: when }),
    ];
    r.service(IssueService, {
      listLabels: () => ({ labels }),
      getIssue: (req) => ({
        issue: issue(Number(req.number), {
          title: "Crash on start",
          body: "Since !4 <script>alert(1)</script>",
          state,
          labels: ["bug"],
          assignees: ["ada", "bob"],
          references: [{ number: 2n, title: "Old crash", state: IssueState.CLOSED }],
          mergeRequestReferences: [{ number: 4n, title: "Rewrite start", state: MergeRequestState.MERGED }],
        }),
      }),
      listComments: () => ({ comments }),
      createComment: (req) => {
        log.comments.push(req);
        const c = create(CommentSchema, { id: `c${comments.length + 1}`, author: "ada", body: req.body, createTime: when });
        comments.push(c);
        return { comment: c };
      },
      deleteComment: (req) => {
        comments.splice(
          comments.findIndex((x) => x.id === req.commentId),
          1,
        );
        return {};
      },
      updateComment: (req) => {
        const c = comments.find((x) => x.id === req.commentId)!;
        c.body = req.body;
        return { comment: c };
      },
      updateIssue: (req) => {
        log.updates.push(req);
        state = req.state;
        return { issue: issue(Number(req.number), { state }) };
      },
    });
  }

  it("shows the issue, its labels, assignees, mentions and comments", async () => {
    signedIn();
    renderApp("/ada/tools/-/issues/1", (r) => detailApi(r, { comments: [], updates: [] }));
    expect(await screen.findByRole("heading", { name: "Crash on start #1" })).toBeInTheDocument();
    expect(screen.getByText("Open")).toBeInTheDocument();
    expect(screen.getByText("bug")).toBeInTheDocument();
    expect(screen.getByText("ada, bob")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "!4" })).toHaveAttribute("href", "/ada/tools/-/merge_requests/4");
    expect(screen.getByRole("link", { name: "#2 Old crash" })).toHaveAttribute("href", "/ada/tools/-/issues/2");
    expect(screen.getByRole("link", { name: "!4 Rewrite start" })).toBeInTheDocument();
    expect(document.querySelector("script")).toBeNull();
    const first = await screen.findByRole("article", { name: "Comment by bob" });
    expect(within(first).getByRole("link", { name: "#2" })).toBeInTheDocument();
    // Only one's own comments can be edited.
    expect(within(first).queryByRole("button", { name: /Actions/ })).toBeNull();
    expect(screen.getByRole("button", { name: "Actions for the comment by ada" })).toBeInTheDocument();
  });

  it("adds a comment and edits one's own", async () => {
    signedIn();
    const log = { comments: [] as CreateCommentRequest[], updates: [] as UpdateIssueRequest[] };
    renderApp("/ada/tools/-/issues/1", (r) => detailApi(r, log));
    const user = userEvent.setup();
    const box = await screen.findByRole("textbox", { name: "Add a comment" });
    await user.type(box, "Fixed in main.");
    await user.click(screen.getByRole("button", { name: "Comment" }));
    await waitFor(() => expect(log.comments).toHaveLength(1));
    expect(log.comments[0]).toMatchObject({ owner: "ada", name: "tools", number: 1n, body: "Fixed in main." });
    expect(await screen.findByText("Fixed in main.")).toBeInTheDocument();
    await waitFor(() => expect(box).toHaveValue(""));

    const mine = screen.getAllByRole("article", { name: "Comment by ada" })[0];
    await user.click(within(mine).getByRole("button", { name: "Actions for the comment by ada" }));
    // jsdom may not have run the menu's entry transition yet.
    await user.click(await screen.findByRole("menuitem", { name: "Edit", hidden: true }));
    const edit = await screen.findByRole("textbox", { name: "Edit comment" });
    await user.clear(edit);
    await user.type(edit, "Mine, edited");
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByText("Mine, edited")).toBeInTheDocument();

    const edited = screen.getAllByRole("article", { name: "Comment by ada" })[0];
    await user.click(within(edited).getByRole("button", { name: "Actions for the comment by ada" }));
    await user.click(await screen.findByRole("menuitem", { name: "Delete", hidden: true }));
    await user.click(within(await screen.findByRole("alertdialog")).getByRole("button", { name: "Delete" }));
    await waitFor(() => expect(screen.queryByText("Mine, edited")).toBeNull());
  });

  it("closes and reopens the issue", async () => {
    signedIn();
    const log = { comments: [] as CreateCommentRequest[], updates: [] as UpdateIssueRequest[] };
    renderApp("/ada/tools/-/issues/1", (r) => detailApi(r, log));
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Close issue" }));
    await waitFor(() => expect(log.updates[0]).toMatchObject({ number: 1n, state: IssueState.CLOSED }));
    expect(await screen.findByRole("button", { name: "Reopen issue" })).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Reopen issue" }));
    await waitFor(() => expect(log.updates[1]).toMatchObject({ state: IssueState.OPEN }));
  });

  it("says why a change was refused in an archived project", async () => {
    signedIn();
    renderApp("/ada/tools/-/issues/1", (r) => {
      base(r, true);
      r.service(IssueService, {
        listLabels: () => ({ labels: [] }),
        getIssue: () => ({ issue: issue(1) }),
        listComments: () => ({ comments: [] }),
        updateIssue: () => {
          throw new ConnectError("the project is archived", Code.FailedPrecondition);
        },
      });
    });
    await userEvent.setup().click(await screen.findByRole("button", { name: "Close issue" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("This project is archived: it is read-only.");
    expect(alert).toHaveTextContent("the project is archived");
  });

  it("says so for an unknown issue", async () => {
    signedIn();
    renderApp("/ada/tools/-/issues/99", (r) => {
      base(r);
      r.service(IssueService, {
        listLabels: () => ({ labels: [] }),
        getIssue: () => {
          throw new ConnectError("issue not found", Code.NotFound);
        },
      });
    });
    expect(await screen.findByRole("alert")).toHaveTextContent("Could not open issue #99");
  });
});
