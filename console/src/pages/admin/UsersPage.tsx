import { Button, Group, Stack, TextInput } from "@mantine/core";
import { useDebouncedValue, useDisclosure } from "@mantine/hooks";
import { IconPlus, IconSearch } from "@tabler/icons-react";
import { useState } from "react";
import { CreateUserModal } from "../../components/admin/CreateUserModal";
import { UserList } from "../../components/admin/UserList";

// UsersPage: every account, searchable; create, deactivate, reactivate,
// grant or remove the admin role.
export function UsersPage() {
  const [input, setInput] = useState("");
  const [search] = useDebouncedValue(input.trim(), 250);
  const [creating, { open, close }] = useDisclosure(false);
  return (
    <Stack>
      <Group justify="space-between" wrap="wrap" gap="sm">
        <TextInput
          type="search"
          aria-label="Search users"
          placeholder="Username, email or name"
          leftSection={<IconSearch size={16} aria-hidden />}
          value={input}
          onChange={(e) => setInput(e.currentTarget.value)}
          style={{ flex: 1 }}
          miw={200}
        />
        <Button leftSection={<IconPlus size={16} aria-hidden />} onClick={open}>
          New user
        </Button>
      </Group>
      <UserList search={search} />
      <CreateUserModal opened={creating} onClose={close} />
    </Stack>
  );
}
