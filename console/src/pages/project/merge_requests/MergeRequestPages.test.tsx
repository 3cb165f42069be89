import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { AuthService } from "../../../gen/hearth/v1/auth_pb";
import {
  DiffSide,
  MergeMethod,
  Mergeability,
  MergeRequestCommentSchema,
  MergeRequestSchema,
  MergeRequestService,
  ReviewVerdict,
  type CreateMergeRequestCommentRequest,
  type CreateMergeRequestRequest,
  type CreateMergeRequestReviewRequest,
  type MergeMergeRequestRequest,
  type MergeRequest,
  type UpdateMergeRequestRequest,
} from "../../../gen/hearth/v1/merge_request_pb";
import { MergeRequestState } from "../../../gen/hearth/v1/merge_request_reference_pb";
import { ProjectService } from "../../../gen/hearth/v1/project_pb";
import { DiffSchema, FileStatus, RepositoryService } from "../../../gen/hearth/v1/repository_pb";
import { ada, project, signedIn } from "../../../test/fixtures";
import { renderApp } from "../../../test/renderApp";

const when = timestampFromDate(new Date("2026-11-20T10:00:00Z"));
const head = "c0ffee0000000000000000000000000000000001";

function mergeRequest(fields: Omit<MessageInitShape<typeof MergeRequestSchema>, "$typeName"> = {}): MergeRequest {
  return create(MergeRequestSchema, {
    id: "mr-1",
    number: 3n,
    title: "Add login",
    description: "Closes #1",
    sourceBranch: "feature/login",
    targetBranch: "main",
    state: MergeRequestState.OPEN,
    author: "bob",
    headCommitSha: head,
    mergeStatus: { mergeability: Mergeability.MERGEABLE, canFastForward: true, sourceCommitSha: head },
    createTime: when,
    ...fields,
  });
}

function base(r: ConnectRouter) {
  r.service(AuthService, { getMe: () => ({ user: ada }) });
  r.service(ProjectService, { getProject: (req) => ({ project: project(req.owner, req.name) }) });
}

const patch = `diff --git a/main.go b/main.go
--- a/main.go
+++ b/main.go
@@ -1,3 +1,3 @@
 package main
-func old() {}
+func login() {}
 // end
`;

describe("merge request list", () => {
  it("lists by state and pages", async () => {
    signedIn();
    const states: MergeRequestState[] = [];
    const { router } = renderApp("/ada/tools/-/merge_requests", (r) => {
      base(r);
      r.service(MergeRequestService, {
        listMergeRequests: (req) => {
          states.push(req.state);
          return { mergeRequests: req.state === MergeRequestState.MERGED ? [] : [mergeRequest()] };
        },
      });
    });
    expect(await screen.findByRole("link", { name: "Add login" })).toHaveAttribute("href", "/ada/tools/-/merge_requests/3");
    expect(states[0]).toBe(MergeRequestState.OPEN);
    await userEvent.setup().click(screen.getByRole("radio", { name: "Merged" }));
    expect(await screen.findByRole("heading", { name: "No merged merge requests" })).toBeInTheDocument();
    expect(router.state.location.search).toBe("?state=merged");
  });
});

describe("new merge request", () => {
  it("validates the branches, defaults the title and opens a draft", async () => {
    signedIn();
    let sent: CreateMergeRequestRequest | null = null;
    const { router } = renderApp("/ada/tools/-/merge_requests/new", (r) => {
      base(r);
      r.service(RepositoryService, {
        listBranches: () => ({
          branches: [{ name: "main", isDefault: true }, { name: "feature/add-login" }],
          defaultBranch: "main",
        }),
      });
      r.service(MergeRequestService, {
        createMergeRequest: (req) => {
          sent = req;
          return { mergeRequest: mergeRequest({ number: 9n }) };
        },
        getMergeRequest: () => ({ mergeRequest: mergeRequest({ number: 9n }) }),
        listMergeRequestComments: () => ({ comments: [] }),
      });
    });
    const user = userEvent.setup();
    const source = await screen.findByRole("textbox", { name: "Source branch" });
    expect(screen.getByRole("textbox", { name: "Target branch" })).toHaveValue("main");

    // Source = target is refused before anything is sent.
    const sourceOption = async (name: string) => {
      await user.click(source);
      const list = await waitFor(() => document.getElementById(source.getAttribute("aria-controls") ?? "")!);
      await user.click(await within(list).findByRole("option", { name, hidden: true }));
    };
    await sourceOption("main");
    expect(await screen.findByText("The source and the target must be different branches.")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Open merge request" }));
    expect(sent).toBeNull();

    await sourceOption("feature/add-login");
    await waitFor(() => expect(screen.queryByText("The source and the target must be different branches.")).toBeNull());
    expect(screen.getByRole("textbox", { name: "Title" })).toHaveValue("Add login");
    await user.click(screen.getByRole("switch", { name: /Draft/ }));
    await user.click(screen.getByRole("button", { name: "Open merge request" }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/ada/tools/-/merge_requests/9"));
    expect(sent).toMatchObject({ sourceBranch: "feature/add-login", targetBranch: "main", title: "Add login", draft: true });
  });
});

interface Log {
  reviews: CreateMergeRequestReviewRequest[];
  merges: MergeMergeRequestRequest[];
  comments: CreateMergeRequestCommentRequest[];
  updates: UpdateMergeRequestRequest[];
}

function detailApi(r: ConnectRouter, mr: MergeRequest, log: Log, merge?: () => never) {
  base(r);
  const comments = [
    create(MergeRequestCommentSchema, { id: "k1", author: "bob", body: "General remark", createTime: when }),
    create(MergeRequestCommentSchema, {
      id: "k2",
      author: "bob",
      body: "Why rename?",
      createTime: when,
      position: { commitSha: head, path: "main.go", line: 2, side: DiffSide.NEW },
    }),
  ];
  r.service(MergeRequestService, {
    getMergeRequest: () => ({ mergeRequest: mr }),
    listMergeRequestComments: () => ({ comments }),
    getMergeRequestChanges: () => ({
      sourceCommitSha: head,
      targetCommitSha: "t",
      totalCommits: 1,
      commits: [{ sha: head, title: "Add login" }],
      diff: create(DiffSchema, {
        additions: 1,
        deletions: 1,
        files: [{ oldPath: "main.go", newPath: "main.go", status: FileStatus.MODIFIED, additions: 1, deletions: 1, patch }],
      }),
    }),
    createMergeRequestReview: (req) => {
      log.reviews.push(req);
      return { review: { id: "rv", reviewer: "ada", verdict: req.verdict, commitSha: req.commitSha } };
    },
    updateMergeRequest: (req) => {
      log.updates.push(req);
      if (req.state) {
        mr = mergeRequest({ ...mr, state: req.state });
      }
      return { mergeRequest: mr };
    },
    mergeMergeRequest: (req) => {
      log.merges.push(req);
      if (merge) {
        merge();
      }
      return { mergeRequest: mergeRequest({ state: MergeRequestState.MERGED }), sourceBranchDeleted: true };
    },
    createMergeRequestComment: (req) => {
      log.comments.push(req);
      const c = create(MergeRequestCommentSchema, { id: `k${comments.length + 1}`, author: "ada", body: req.body, position: req.position });
      comments.push(c);
      return { comment: c };
    },
  });
}

const newLog = (): Log => ({ reviews: [], merges: [], comments: [], updates: [] });

describe("merge request page", () => {
  it("shows the conflicting files and what blocks the merge", async () => {
    signedIn();
    const mr = mergeRequest({
      draft: true,
      mergeStatus: { mergeability: Mergeability.CONFLICTS, conflicts: ["main.go", "go.mod"] },
      mergeBlockers: ["it is a draft", "it has conflicts in 2 files", "1 more approval is required"],
      requiredApprovals: 2,
      approvedBy: ["carol"],
      pipelineId: "p-42",
      pipelineStatus: "failure",
    });
    renderApp("/ada/tools/-/merge_requests/3", (r) => detailApi(r, mr, newLog()));
    expect(await screen.findByRole("heading", { name: "Add login !3" })).toBeInTheDocument();
    expect(screen.getByText("Draft")).toBeInTheDocument();
    const files = screen.getByRole("list", { name: "Conflicting files" });
    expect(within(files).getByText("main.go")).toBeInTheDocument();
    expect(within(files).getByText("go.mod")).toBeInTheDocument();
    const blockers = screen.getByRole("list", { name: "Merge blockers" });
    expect(within(blockers).getAllByRole("listitem").map((li) => li.textContent)).toEqual([
      "it is a draft",
      "it has conflicts in 2 files",
      "1 more approval is required",
    ]);
    expect(screen.getByText("1 of 2 required")).toBeInTheDocument();
    expect(screen.getByText("failure")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "View pipeline" })).toHaveAttribute("href", "/ada/tools/-/pipelines/p-42");
    expect(screen.getByRole("link", { name: "#1" })).toHaveAttribute("href", "/ada/tools/-/issues/1");
    // The line comment says where it is.
    expect(await screen.findByText("Why rename?")).toBeInTheDocument();
  });

  it("approves the head commit the user sees", async () => {
    signedIn();
    const log = newLog();
    renderApp("/ada/tools/-/merge_requests/3", (r) => detailApi(r, mergeRequest(), log));
    await userEvent.setup().click(await screen.findByRole("button", { name: "Approve" }));
    await waitFor(() => expect(log.reviews).toHaveLength(1));
    expect(log.reviews[0]).toMatchObject({ number: 3n, verdict: ReviewVerdict.APPROVE, commitSha: head });
  });

  it("squash-merges with the chosen method and message, and shows a refusal", async () => {
    signedIn();
    const log = newLog();
    renderApp("/ada/tools/-/merge_requests/3", (r) =>
      detailApi(r, mergeRequest(), log, () => {
        throw new ConnectError("the merge request's head moved to 1234567; review again", Code.FailedPrecondition);
      }),
    );
    const user = userEvent.setup();
    await user.click(await screen.findByRole("textbox", { name: "Merge method" }));
    await user.click(await screen.findByRole("option", { name: "Squash and merge", hidden: true }));
    const message = await screen.findByRole("textbox", { name: "Squash commit message" });
    expect(message).toHaveValue("Add login (!3)");
    await user.clear(message);
    await user.type(message, "Login, squashed");
    await user.click(screen.getByRole("checkbox", { name: /Delete the source branch/ }));
    await user.click(screen.getByRole("button", { name: "Merge" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("The merge was refused");
    expect(alert).toHaveTextContent("the merge request's head moved to 1234567; review again");
    expect(log.merges[0]).toMatchObject({
      number: 3n,
      method: MergeMethod.SQUASH,
      commitMessage: "Login, squashed",
      deleteSourceBranch: true,
      commitSha: head,
    });
  });

  it("shows line comments in the diff and anchors a new one to the head commit's line", async () => {
    signedIn();
    const log = newLog();
    const { router } = renderApp("/ada/tools/-/merge_requests/3", (r) => detailApi(r, mergeRequest(), log));
    const user = userEvent.setup();
    await user.click(await screen.findByRole("tab", { name: "Changes" }));
    expect(router.state.location.search).toBe("?tab=changes");
    // The existing line comment is under its line.
    expect(await screen.findByText("Why rename?")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Comment on: main.go, old line 2" }));
    const box = await screen.findByRole("textbox", { name: "Comment on main.go old line 2" });
    await user.type(box, "Keep the old name?");
    await user.click(screen.getByRole("button", { name: "Add line comment" }));
    await waitFor(() => expect(log.comments).toHaveLength(1));
    expect(log.comments[0].body).toBe("Keep the old name?");
    expect(log.comments[0].position).toMatchObject({ commitSha: head, path: "main.go", line: 2, side: DiffSide.OLD });
    expect(await screen.findByText("Keep the old name?")).toBeInTheDocument();
    await waitFor(() => expect(screen.queryByRole("textbox", { name: "Comment on main.go old line 2" })).toBeNull());
  });

  it("closes and reopens", async () => {
    signedIn();
    const log = newLog();
    renderApp("/ada/tools/-/merge_requests/3", (r) => detailApi(r, mergeRequest(), log));
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Close merge request" }));
    await waitFor(() => expect(log.updates[0]).toMatchObject({ number: 3n, state: MergeRequestState.CLOSED }));
    await user.click(await screen.findByRole("button", { name: "Reopen merge request" }));
    await waitFor(() => expect(log.updates[1]).toMatchObject({ state: MergeRequestState.OPEN }));
  });
});
