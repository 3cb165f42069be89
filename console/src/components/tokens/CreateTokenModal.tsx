import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Alert, Button, Checkbox, Group, Modal, NativeSelect, Stack, Text, TextInput } from "@mantine/core";
import { IconAlertTriangle } from "@tabler/icons-react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useClient } from "../../api/useClient";
import { useSession } from "../../auth/useSession";
import { TokenService } from "../../gen/hearth/v1/token_pb";
import { ErrorAlert } from "../ErrorAlert";
import { SecretValue } from "./SecretValue";
import { daysFromNow } from "./time";
import { tokenExpiries, tokenScopes } from "./tokenScopes";
import { tokensKey } from "./useTokens";

interface Props {
  opened: boolean;
  onClose(): void;
}

// CreateTokenModal creates a personal access token, then shows its secret
// this one time: closing the dialog forgets it.
export function CreateTokenModal({ opened, onClose }: Props) {
  const tokens = useClient(TokenService);
  const session = useSession();
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<string[]>(["api"]);
  const [expiry, setExpiry] = useState("30");

  const create = useMutation({
    mutationFn: () =>
      tokens.createToken({
        name: name.trim(),
        scopes,
        expireTime: timestampFromDate(daysFromNow(Number(expiry))),
      }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: tokensKey }),
  });

  const close = () => {
    setName("");
    setScopes(["api"]);
    setExpiry("30");
    create.reset();
    onClose();
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (name.trim() && scopes.length > 0) {
      create.mutate();
    }
  };

  const isAdmin = session.user?.admin ?? false;
  const secret = create.data?.token;

  return (
    <Modal
      opened={opened}
      onClose={close}
      title={secret ? "Your new token" : "New access token"}
      size="lg"
      closeOnClickOutside={!secret}
    >
      {secret ? (
        <Stack>
          <Alert color="yellow" variant="light" icon={<IconAlertTriangle aria-hidden />} title="Copy it now">
            This is the only time the token is shown. Hearth keeps only a hash of it: once this dialog is closed
            it cannot be shown again. Treat it like a password.
          </Alert>
          <SecretValue value={secret} label="New token" copyLabel="Copy token" />
          <Text size="sm" c="dimmed">
            Use it as a password for git over HTTP, or as <code>Authorization: Bearer …</code> for the API.
          </Text>
          <Group justify="flex-end">
            <Button onClick={close}>I have copied it</Button>
          </Group>
        </Stack>
      ) : (
        <form onSubmit={submit} noValidate>
          <Stack>
            {create.isError && <ErrorAlert error={create.error} title="Could not create the token" />}
            <TextInput
              label="Name"
              description="What the token is for, e.g. the machine or tool using it."
              required
              data-autofocus
              value={name}
              onChange={(e) => setName(e.currentTarget.value)}
            />
            <Checkbox.Group label="Scopes" description="What the token may do, within your own rights." value={scopes} onChange={setScopes} required>
              <Stack gap="xs" mt="xs">
                {tokenScopes
                  .filter((s) => s.value !== "admin" || isAdmin)
                  .map((s) => (
                    <Checkbox key={s.value} value={s.value} label={s.label} description={s.help} />
                  ))}
              </Stack>
            </Checkbox.Group>
            <NativeSelect
              label="Expires in"
              data={tokenExpiries.map((e) => ({ value: e.value, label: e.label }))}
              value={expiry}
              onChange={(e) => setExpiry(e.currentTarget.value)}
            />
            <Group justify="flex-end">
              <Button variant="default" onClick={close}>
                Cancel
              </Button>
              <Button type="submit" loading={create.isPending} disabled={!name.trim() || scopes.length === 0}>
                Create token
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Modal>
  );
}
