import { useOutletContext } from "react-router";
import type { Project } from "../../gen/hearth/v1/project_pb";

// SettingsContext is what every settings page gets from SettingsLayout.
export interface SettingsContext {
  project: Project;
  // Whether the user may change the settings (project:admin).
  canAdmin: boolean;
}

export function useSettingsContext(): SettingsContext {
  return useOutletContext<SettingsContext>();
}
