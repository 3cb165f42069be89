import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

// A working copy pushed to hearth with the real git binary.
export interface WorkingCopy {
  dir: string;
  commit(message: string, files: Record<string, string>): string;
  checkout(branch: string, create?: boolean): void;
  push(branch: string): void;
}

// clonable returns the remote URL of owner/name with credentials in it (a
// throwaway test password; git keeps it only in this temporary repository).
export function workingCopy(baseURL: string, owner: string, name: string, user: string, password: string): WorkingCopy {
  const dir = mkdtempSync(join(tmpdir(), "hearth-e2e-wc-"));
  const remote = new URL(`${baseURL}/${owner}/${name}.git`);
  remote.username = user;
  remote.password = password;
  const env = {
    ...process.env,
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_TERMINAL_PROMPT: "0",
    GIT_AUTHOR_NAME: "E2E",
    GIT_AUTHOR_EMAIL: "e2e@example.test",
    GIT_COMMITTER_NAME: "E2E",
    GIT_COMMITTER_EMAIL: "e2e@example.test",
  };
  const git = (...args: string[]) => execFileSync("git", args, { cwd: dir, env, encoding: "utf8" }).trim();
  git("init", "-q", "-b", "main");
  git("remote", "add", "origin", remote.toString());
  return {
    dir,
    commit(message, files) {
      for (const [path, content] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), content);
      }
      git("add", "-A");
      git("commit", "-q", "-m", message);
      return git("rev-parse", "HEAD");
    },
    checkout(branch, create = false) {
      git("checkout", "-q", ...(create ? ["-b"] : []), branch);
    },
    push(branch) {
      git("push", "-q", "origin", branch);
    },
  };
}
