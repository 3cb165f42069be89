import { projectPath } from "../../routes/paths";

// projectTabs are the tabs of a project page: each one's label, its value
// and the path segment under "/{owner}/{name}/-/" its pages live at (""
// is the project's own URL, the code).
export const projectTabs = [
  { label: "Code", value: "code", segment: "" },
  { label: "Issues", value: "issues", segment: "issues" },
  { label: "Merge requests", value: "merge_requests", segment: "merge_requests" },
  { label: "Pipelines", value: "pipelines", segment: "pipelines" },
  { label: "Logs", value: "logs", segment: "logs" },
  { label: "Traces", value: "traces", segment: "traces" },
  { label: "Metrics", value: "metrics", segment: "metrics" },
  { label: "Settings", value: "settings", segment: "settings" },
] as const;

// activeTab says which tab (its value) a location belongs to.
export function activeTab(owner: string, name: string, pathname: string): string {
  const base = projectPath(owner, name);
  const rest = decodeURIComponent(pathname).startsWith(decodeURIComponent(base) + "/-/")
    ? decodeURIComponent(pathname).slice(decodeURIComponent(base).length + 3)
    : "";
  const first = rest.split("/")[0];
  switch (first) {
    case "issues":
      return "issues";
    case "merge_requests":
      return "merge_requests";
    case "pipelines":
    case "jobs":
      return "pipelines";
    case "logs":
      return "logs";
    case "traces":
      return "traces";
    case "metrics":
      return "metrics";
    case "settings":
      return "settings";
    default:
      return "code";
  }
}
