// The query cache keys of a project's issues.
export function issuesKey(owner: string, name: string) {
  return ["issues", owner.toLowerCase(), name.toLowerCase()] as const;
}

export function issueListKey(owner: string, name: string, filters: object) {
  return [...issuesKey(owner, name), "list", filters] as const;
}

export function issueKey(owner: string, name: string, number: bigint) {
  return [...issuesKey(owner, name), "issue", number.toString()] as const;
}

export function issueCommentsKey(owner: string, name: string, number: bigint) {
  return [...issueKey(owner, name, number), "comments"] as const;
}

export function labelsKey(owner: string, name: string) {
  return ["labels", owner.toLowerCase(), name.toLowerCase()] as const;
}
