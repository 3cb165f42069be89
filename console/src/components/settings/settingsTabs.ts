// settingsTabs: the pages of a project's Settings tab, under
// "/{owner}/{name}/-/settings/".
export const settingsTabs = [
  { label: "General", value: "general", segment: "" },
  { label: "Members", value: "members", segment: "members" },
  { label: "Protected branches", value: "branches", segment: "branches" },
  { label: "Secrets", value: "secrets", segment: "secrets" },
  { label: "Webhooks", value: "webhooks", segment: "webhooks" },
  { label: "Danger zone", value: "danger", segment: "danger" },
] as const;

// activeSettingsTab says which settings page a location belongs to.
export function activeSettingsTab(pathname: string): string {
  const i = pathname.indexOf("/-/settings");
  const rest = i >= 0 ? pathname.slice(i + "/-/settings".length).replace(/^\//, "") : "";
  const first = rest.split("/")[0];
  const tab = settingsTabs.find((t) => t.segment && t.segment === first);
  return tab ? tab.value : "general";
}
