import { Alert, Button, Group, Paper, Stack, Text, Title } from "@mantine/core";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { ConfirmDialog } from "../tokens/ConfirmDialog";

interface Props {
  // The scope in words ("this project").
  where: string;
  rotate(): Promise<bigint>;
}

function pendingText(n: bigint): string {
  if (n === 0n) {
    return "There were no values to re-encrypt.";
  }
  return n === 1n ? "1 value is re-encrypted under it in the background." : `${n} values are re-encrypted under it in the background.`;
}

// RotateKeyCard gives a scope a new data key: new values are encrypted
// with it at once, the existing ones are re-encrypted in the background.
export function RotateKeyCard({ where, rotate }: Props) {
  const [confirming, setConfirming] = useState(false);
  const mutation = useMutation({
    mutationFn: rotate,
    onSuccess: () => setConfirming(false),
  });
  return (
    <Paper withBorder p="md" radius="md" component="section" aria-label="Data key">
      <Stack gap="sm">
        <Group justify="space-between" align="flex-start" wrap="wrap" gap="sm">
          <Stack gap={4} maw={560}>
            <Title order={3} size="h5">
              Data key
            </Title>
            <Text size="sm" c="dimmed">
              The values of {where} are encrypted with its own data key. Rotate it if it may have leaked, or on a schedule: pipelines keep
              receiving their secrets while the values are re-encrypted.
            </Text>
          </Stack>
          <Button variant="default" onClick={() => setConfirming(true)}>
            Rotate data key
          </Button>
        </Group>
        {mutation.isSuccess && (
          <Alert color="green" variant="light" title="The data key was rotated" role="status">
            {pendingText(mutation.data)}
          </Alert>
        )}
      </Stack>
      {confirming && (
        <ConfirmDialog
          opened
          title="Rotate the data key?"
          confirmLabel="Rotate data key"
          loading={mutation.isPending}
          error={mutation.error}
          onConfirm={() => mutation.mutate()}
          onClose={() => {
            if (mutation.isError) {
              mutation.reset();
            }
            setConfirming(false);
          }}
        >
          The values of {where} get a new data key. New values are encrypted with it at once; the existing ones are
          re-encrypted in the background.
        </ConfirmDialog>
      )}
    </Paper>
  );
}
