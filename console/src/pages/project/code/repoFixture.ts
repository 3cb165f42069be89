import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { AuthService } from "../../../gen/hearth/v1/auth_pb";
import { ProjectService } from "../../../gen/hearth/v1/project_pb";
import {
  BranchSchema,
  CommitSchema,
  RepositoryService,
  TagSchema,
  TreeEntrySchema,
  TreeEntryType,
  type Commit,
  type TreeEntry,
  type Diff,
} from "../../../gen/hearth/v1/repository_pb";
import { ada, project } from "../../../test/fixtures";

// A small in-memory repository for the Code tab's tests: refs name file
// sets; directories are implied by the paths.
export type Files = Record<string, string | { binary: true; size: number }>;

export interface FakeRepo {
  refs: Record<string, Files>;
  branches: string[];
  tags: string[];
  commits?: Commit[];
  commit?: { commit: Commit; diff: Diff };
  // Every request, for assertions: "tree ref path", "blob ref path", …
  calls: string[];
}

export function fakeRepo(fields: Partial<FakeRepo> = {}): FakeRepo {
  const main: Files = {
    "README.md": "# Tools\n\nBuild helpers for everyone. See [the guide](docs/guide.md).\n",
    "src/main.go": 'package main\n\nfunc main() {\n\tprintln("hi")\n}\n',
    "src/util/strings.go": "package util\n",
    "docs/guide.md": "# Guide\n",
    "logo.png": { binary: true, size: 2048 },
    "Makefile": "all:\n\tgo build\n",
  };
  return {
    refs: { main, "feature/x": { ...main, "src/main.go": "package main // feature\n", "src/extra.go": "package main\n" }, "v1.0": main },
    branches: ["main", "feature/x"],
    tags: ["v1.0"],
    calls: [],
    ...fields,
  };
}

export function commit(sha: string, title: string, fields: Omit<MessageInitShape<typeof CommitSchema>, "$typeName"> = {}): Commit {
  return create(CommitSchema, {
    sha,
    title,
    message: title,
    parentShas: [],
    author: { name: "Ada Lovelace", email: "ada@example.com", time: timestampFromDate(new Date("2026-11-02T10:00:00Z")) },
    committer: { name: "Ada Lovelace", email: "ada@example.com", time: timestampFromDate(new Date("2026-11-02T10:00:00Z")) },
    ...fields,
  });
}

function files(repo: FakeRepo, ref: string): Files {
  const f = repo.refs[ref];
  if (!f) {
    throw new ConnectError("ref not found", Code.NotFound);
  }
  return f;
}

// api registers the session, the project ada/tools and the repository.
export function repoApi(repo: FakeRepo) {
  return (r: ConnectRouter) => {
    r.service(AuthService, { getMe: () => ({ user: ada }) });
    r.service(ProjectService, { getProject: (req) => ({ project: project(req.owner, req.name) }) });
    r.service(RepositoryService, {
      listBranches: () => ({
        defaultBranch: "main",
        branches: repo.branches.map((name) => create(BranchSchema, { name, isDefault: name === "main", commitSha: "a".repeat(40) })),
      }),
      listTags: () => ({ tags: repo.tags.map((name) => create(TagSchema, { name, commitSha: "b".repeat(40) })) }),
      getTree: (req) => {
        repo.calls.push(`tree ${req.ref} ${req.path}`);
        const all = files(repo, req.ref);
        const prefix = req.path ? `${req.path}/` : "";
        if (req.path && all[req.path] !== undefined) {
          throw new ConnectError("path is not a directory", Code.InvalidArgument);
        }
        const seen = new Map<string, TreeEntry>();
        for (const [p, content] of Object.entries(all)) {
          if (!p.startsWith(prefix)) {
            continue;
          }
          const [first, ...rest] = p.slice(prefix.length).split("/");
          const isDir = rest.length > 0;
          const size = typeof content === "string" ? content.length : content.size;
          seen.set(
            first,
            create(TreeEntrySchema, {
              name: first,
              path: prefix + first,
              type: isDir ? TreeEntryType.TREE : TreeEntryType.BLOB,
              mode: isDir ? "040000" : "100644",
              size: isDir ? 0n : BigInt(size),
            }),
          );
        }
        if (req.path && seen.size === 0) {
          throw new ConnectError("path not found", Code.NotFound);
        }
        // Deliberately unsorted: the listing sorts folders first itself.
        return { commitSha: "c".repeat(40), path: req.path, entries: [...seen.values()].reverse() };
      },
      getBlob: (req) => {
        repo.calls.push(`blob ${req.ref} ${req.path}`);
        const content = files(repo, req.ref)[req.path];
        if (content === undefined) {
          if (Object.keys(files(repo, req.ref)).some((p) => p.startsWith(`${req.path}/`))) {
            throw new ConnectError("path is not a file", Code.InvalidArgument);
          }
          throw new ConnectError("path not found", Code.NotFound);
        }
        if (typeof content !== "string") {
          return { path: req.path, size: BigInt(content.size), isBinary: true, mode: "100644" };
        }
        const bytes = new TextEncoder().encode(content);
        return { path: req.path, size: BigInt(bytes.length), content: bytes, mode: "100644" };
      },
      listCommits: (req) => {
        repo.calls.push(`commits ${req.ref} ${req.pageToken}`);
        const all = repo.commits ?? [];
        const start = req.pageToken ? Number(req.pageToken) : 0;
        const end = start + (req.pageSize || 30);
        return { commits: all.slice(start, end), nextPageToken: end < all.length ? String(end) : "" };
      },
      getCommit: (req) => {
        repo.calls.push(`commit ${req.sha}`);
        if (!repo.commit || !repo.commit.commit.sha.startsWith(req.sha)) {
          throw new ConnectError("ref not found", Code.NotFound);
        }
        return repo.commit;
      },
    });
  };
}
