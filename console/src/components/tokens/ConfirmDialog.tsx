import { Button, Group, Modal, Stack, Text } from "@mantine/core";
import type { ReactNode } from "react";
import { ErrorAlert } from "../ErrorAlert";

interface Props {
  opened: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm(): void;
  onClose(): void;
  loading?: boolean;
  error?: unknown;
  // Red for what cannot be undone.
  danger?: boolean;
}

// ConfirmDialog asks before doing something that matters, and shows the
// server's refusal in words without closing.
export function ConfirmDialog({ opened, title, children, confirmLabel, onConfirm, onClose, loading, error, danger }: Props) {
  return (
    <Modal opened={opened} onClose={onClose} title={title}>
      <Stack>
        {error ? <ErrorAlert error={error} /> : null}
        <Text component="div" size="sm">
          {children}
        </Text>
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button color={danger ? "red" : undefined} loading={loading} onClick={onConfirm} data-autofocus>
            {confirmLabel}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
