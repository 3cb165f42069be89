import { Button, PasswordInput, Stack } from "@mantine/core";
import { useState, type FormEvent } from "react";
import { ErrorAlert } from "../ErrorAlert";

interface Props {
  onSubmit(current: string, next: string): Promise<unknown>;
}

// ChangePasswordForm asks for the current password and a new one, twice.
export function ChangePasswordForm({ onSubmit }: Props) {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [repeat, setRepeat] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [pending, setPending] = useState(false);
  const mismatch = repeat !== "" && next !== repeat;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setPending(true);
    setError(null);
    try {
      await onSubmit(current, next);
    } catch (err) {
      setError(err);
    } finally {
      setPending(false);
    }
  };

  return (
    <form onSubmit={(e) => void submit(e)} noValidate>
      <Stack>
        {error !== null && <ErrorAlert error={error} />}
        <PasswordInput
          label="Current password"
          autoComplete="current-password"
          required
          value={current}
          onChange={(e) => setCurrent(e.currentTarget.value)}
        />
        <PasswordInput
          label="New password"
          autoComplete="new-password"
          required
          value={next}
          onChange={(e) => setNext(e.currentTarget.value)}
        />
        <PasswordInput
          label="Repeat the new password"
          autoComplete="new-password"
          required
          value={repeat}
          error={mismatch ? "The passwords differ." : undefined}
          onChange={(e) => setRepeat(e.currentTarget.value)}
        />
        <Button type="submit" loading={pending} disabled={!current || !next || next !== repeat}>
          Change password
        </Button>
      </Stack>
    </form>
  );
}
