import { Alert, Button, Group, Text } from "@mantine/core";
import { IconAlertCircle } from "@tabler/icons-react";
import { describeError } from "../api/errors";

interface Props {
  error: unknown;
  // A title that replaces the generic one for the error's code.
  title?: string;
  onRetry?: () => void;
}

// ErrorAlert says what went wrong in words, with the server's message
// beneath when it adds something.
export function ErrorAlert({ error, title, onRetry }: Props) {
  const human = describeError(error);
  return (
    <Alert color="red" variant="light" icon={<IconAlertCircle aria-hidden />} title={title ?? human.title} role="alert">
      {human.detail && <Text size="sm">{human.detail}</Text>}
      {onRetry && (
        <Group mt="sm">
          <Button size="xs" variant="white" color="red" onClick={onRetry}>
            Try again
          </Button>
        </Group>
      )}
    </Alert>
  );
}
