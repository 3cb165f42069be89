// IssueFilters are the issue list's filters, kept in the URL's query
// (?state=closed&label=bug&assignee=ada&q=crash) so a filtered list can be
// linked and survives a reload.
export interface IssueFilters {
  state: "open" | "closed" | "all";
  label: string;
  assignee: string;
  q: string;
}

export function filtersFromParams(params: URLSearchParams): IssueFilters {
  const s = params.get("state");
  return {
    state: s === "closed" || s === "all" ? s : "open",
    label: params.get("label") ?? "",
    assignee: params.get("assignee") ?? "",
    q: params.get("q") ?? "",
  };
}

// applyFilters writes filters into params (defaults are left out).
export function applyFilters(params: URLSearchParams, f: Partial<IssueFilters>): URLSearchParams {
  const next = new URLSearchParams(params);
  for (const [k, v] of Object.entries(f)) {
    if (!v || (k === "state" && v === "open")) {
      next.delete(k);
    } else {
      next.set(k, v);
    }
  }
  return next;
}
