import { NavLink as MantineNavLink, Stack } from "@mantine/core";
import { NavLink } from "react-router";
import { navItems } from "./navItems";

// MainNav is the navigation list of the narrow-screen drawer.
export function MainNav({ onNavigate }: { onNavigate?: () => void }) {
  return (
    <Stack component="nav" aria-label="Main" gap={4}>
      {navItems.map((item) => (
        <NavLink key={item.to} to={item.to} onClick={onNavigate} style={{ textDecoration: "none" }}>
          {({ isActive }) => <MantineNavLink component="span" label={item.label} active={isActive} />}
        </NavLink>
      ))}
    </Stack>
  );
}
