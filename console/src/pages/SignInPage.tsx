import { Center, Group, Paper, Stack, Text, Title } from "@mantine/core";
import { Navigate, useNavigate, useSearchParams } from "react-router";
import { useSession } from "../auth/useSession";
import { SignInForm } from "../components/auth/SignInForm";
import { FullPageLoader } from "../components/FullPageLoader";
import { Logo } from "../components/Logo";
import { ThemeToggle } from "../components/ThemeToggle";
import { paths, safeNext } from "../routes/paths";

export function SignInPage() {
  const session = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = safeNext(params.get("next"));

  if (session.status === "loading") {
    return <FullPageLoader />;
  }
  if (session.status === "signed-in") {
    return <Navigate to={next} replace />;
  }
  const signIn = async (username: string, password: string) => {
    const user = await session.signIn(username, password);
    navigate(user.mustChangePassword ? paths.changePassword : next, { replace: true });
  };
  return (
    <Center mih="100vh" p="md">
      <Stack w="100%" maw={400}>
        <Group justify="space-between">
          <Logo />
          <ThemeToggle />
        </Group>
        <Paper withBorder shadow="sm" p="lg" radius="md">
          <Stack>
            <Title order={1} size="h3">
              Sign in
            </Title>
            <SignInForm onSubmit={signIn} />
          </Stack>
        </Paper>
        <Text size="xs" c="dimmed" ta="center">
          Accounts are created by an administrator.
        </Text>
      </Stack>
    </Center>
  );
}
