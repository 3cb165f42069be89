// The query cache keys of a project's merge requests.
export function mergeRequestsKey(owner: string, name: string) {
  return ["merge_requests", owner.toLowerCase(), name.toLowerCase()] as const;
}

export function mergeRequestListKey(owner: string, name: string, state: string) {
  return [...mergeRequestsKey(owner, name), "list", state] as const;
}

export function mergeRequestKey(owner: string, name: string, number: bigint) {
  return [...mergeRequestsKey(owner, name), "mr", number.toString()] as const;
}

export function mergeRequestChangesKey(owner: string, name: string, number: bigint) {
  return [...mergeRequestKey(owner, name, number), "changes"] as const;
}

export function mergeRequestCommentsKey(owner: string, name: string, number: bigint) {
  return [...mergeRequestKey(owner, name, number), "comments"] as const;
}
