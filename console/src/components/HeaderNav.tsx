import { Button, Group } from "@mantine/core";
import { NavLink } from "react-router";
import { navItems } from "./navItems";

// HeaderNav is the navigation of the header on wide screens.
export function HeaderNav() {
  return (
    <Group component="nav" aria-label="Main" gap={4} visibleFrom="sm">
      {navItems.map((item) => (
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
