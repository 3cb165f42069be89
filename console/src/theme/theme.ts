import { createTheme, localStorageColorSchemeManager } from "@mantine/core";

export const theme = createTheme({
  primaryColor: "orange",
  defaultRadius: "md",
  fontFamily: "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
  fontFamilyMonospace: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace",
});

// The chosen light/dark scheme survives reloads (and follows the system
// until one is chosen).
export const colorSchemeManager = localStorageColorSchemeManager({ key: "hearth.colorScheme" });
