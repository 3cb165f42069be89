import { Button, Group } from "@mantine/core";
import { NavLink } from "react-router";
import { useSession } from "../auth/useSession";
import { navItemsFor } from "./navItems";

// HeaderNav is the navigation of the header on wide screens.
export function HeaderNav() {
  const session = useSession();
  return (
    <Group component="nav" aria-label="Main" gap={4} visibleFrom="sm">
      {navItemsFor(session).map((item) => (
        <NavLink key={item.to} to={item.to}>
          {({ isActive }) => (
            <Button component="span" variant={isActive ? "light" : "subtle"} color={isActive ? undefined : "gray"}>
              {item.label}
            </Button>
          )}
        </NavLink>
      ))}
    </Group>
  );
}
