import { Stack, Title } from "@mantine/core";
import { BindingList } from "../../components/admin/BindingList";
import { CreateBindingForm } from "../../components/admin/CreateBindingForm";
import { RoleList } from "../../components/admin/RoleList";

// RolesPage: the roles and their permissions; who holds which role.
export function RolesPage() {
  return (
    <Stack gap="lg">
      <Stack gap="sm">
        <Title order={2} size="h3">
          Roles
        </Title>
        <RoleList />
      </Stack>
      <Stack gap="sm">
        <Title order={2} size="h3">
          Role bindings
        </Title>
        <CreateBindingForm />
        <BindingList />
      </Stack>
    </Stack>
  );
}
