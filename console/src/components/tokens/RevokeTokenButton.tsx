import { Button } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { notifications } from "@mantine/notifications";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useClient } from "../../api/useClient";
import { TokenService, type Token } from "../../gen/hearth/v1/token_pb";
import { ConfirmDialog } from "./ConfirmDialog";
import { tokensKey } from "./useTokens";

// RevokeTokenButton revokes a token after asking.
export function RevokeTokenButton({ token }: { token: Token }) {
  const tokens = useClient(TokenService);
  const queryClient = useQueryClient();
  const [opened, { open, close }] = useDisclosure(false);
  const revoke = useMutation({
    mutationFn: () => tokens.revokeToken({ id: token.id }),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: tokensKey });
      notifications.show({ color: "green", message: `Revoked the token “${token.name}”.` });
      close();
    },
  });
  return (
    <>
      <Button size="xs" variant="light" color="red" onClick={open} aria-label={`Revoke ${token.name}`}>
        Revoke
      </Button>
      <ConfirmDialog
        opened={opened}
        title="Revoke token?"
        confirmLabel="Revoke token"
        danger
        loading={revoke.isPending}
        error={revoke.error}
        onConfirm={() => revoke.mutate()}
        onClose={() => {
          revoke.reset();
          close();
        }}
      >
        The token “{token.name}” stops working at once, for everything that uses it. This cannot be undone.
      </ConfirmDialog>
    </>
  );
}
