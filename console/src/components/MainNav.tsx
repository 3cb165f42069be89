import { NavLink as MantineNavLink, Stack } from "@mantine/core";
import { NavLink } from "react-router";
import { useSession } from "../auth/useSession";
import { navItemsFor } from "./navItems";

// MainNav is the navigation list of the narrow-screen drawer.
export function MainNav({ onNavigate }: { onNavigate?: () => void }) {
  const session = useSession();
  return (
    <Stack component="nav" aria-label="Main" gap={4}>
      {navItemsFor(session).map((item) => (
        <NavLink key={item.to} to={item.to} onClick={onNavigate} style={{ textDecoration: "none" }}>
          {({ isActive }) => <MantineNavLink component="span" label={item.label} active={isActive} />}
        </NavLink>
      ))}
    </Stack>
  );
}
