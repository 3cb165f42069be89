import { Button, Group, Stack } from "@mantine/core";
import { useState, type FormEvent, type ReactNode } from "react";
import { MarkdownEditor } from "../markdown/MarkdownEditor";

interface Props {
  label?: string;
  submitLabel?: string;
  initial?: string;
  pending?: boolean;
  // Shown above the editor (the last error).
  error?: ReactNode;
  autoFocus?: boolean;
  disabled?: boolean;
  // Resolves once saved; the form then empties.
  onSubmit(body: string): Promise<unknown>;
  onCancel?: () => void;
  // More buttons beside the submit one.
  extra?: ReactNode;
}

// CommentForm writes a markdown comment, with a preview.
export function CommentForm({
  label = "Comment",
  submitLabel = "Comment",
  initial = "",
  pending,
  error,
  autoFocus,
  disabled,
  onSubmit,
  onCancel,
  extra,
}: Props) {
  const [body, setBody] = useState(initial);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!body.trim()) {
      return;
    }
    onSubmit(body).then(
      () => setBody(""),
      () => {},
    );
  };
  return (
    <form onSubmit={submit} noValidate aria-label={label}>
      <Stack gap="xs">
        {error}
        <MarkdownEditor label={label} value={body} onChange={setBody} autoFocus={autoFocus} disabled={disabled} minRows={3} />
        <Group justify="flex-end" gap="xs">
          {extra}
          {onCancel && (
            <Button variant="default" onClick={onCancel}>
              Cancel
            </Button>
          )}
          <Button type="submit" loading={pending} disabled={disabled || !body.trim()}>
            {submitLabel}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
