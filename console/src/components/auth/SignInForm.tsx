import { Button, PasswordInput, Stack, TextInput } from "@mantine/core";
import { Code } from "@connectrpc/connect";
import { useState, type FormEvent } from "react";
import { errorCode } from "../../api/errors";
import { ErrorAlert } from "../ErrorAlert";

interface Props {
  onSubmit(username: string, password: string): Promise<unknown>;
}

// signInErrorTitle words a failed sign-in for the person at the keyboard.
function signInErrorTitle(err: unknown): string | undefined {
  switch (errorCode(err)) {
    case Code.Unauthenticated:
    case Code.NotFound:
      return "Wrong username or password.";
    case Code.ResourceExhausted:
      return "Too many failed attempts. Wait a minute, then try again.";
    case Code.PermissionDenied:
      return "This account cannot sign in.";
    default:
      return undefined;
  }
}

// SignInForm asks for a username (or email) and password.
export function SignInForm({ onSubmit }: Props) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [pending, setPending] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setPending(true);
    setError(null);
    try {
      await onSubmit(username.trim(), password);
    } catch (err) {
      setError(err);
      setPending(false);
    }
  };

  return (
    <form onSubmit={(e) => void submit(e)} noValidate>
      <Stack>
        {error !== null && <ErrorAlert error={error} title={signInErrorTitle(error)} />}
        <TextInput
          label="Username or email"
          name="username"
          autoComplete="username"
          required
          autoFocus
          value={username}
          onChange={(e) => setUsername(e.currentTarget.value)}
        />
        <PasswordInput
          label="Password"
          name="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.currentTarget.value)}
        />
        <Button type="submit" loading={pending} disabled={!username.trim() || !password} fullWidth>
          Sign in
        </Button>
      </Stack>
    </form>
  );
}
