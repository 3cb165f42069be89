import { paths } from "../routes/paths";

// navItems: the main navigation, in the header (wide screens) and the
// burger menu (narrow ones).
export const navItems = [{ label: "Projects", to: paths.projects }] as const;
