import { useSession } from "../../auth/useSession";
import { SecretsPanel } from "../../components/secrets/SecretsPanel";
import { useInstanceSecretScope } from "../../components/secrets/secretScope";

// SecretsPage: the installation's secrets, which every project receives
// (a group's or a project's of the same name wins). Reading them needs
// secret:read installation-wide, changing them secret:write.
export function SecretsPage() {
  const session = useSession();
  const scope = useInstanceSecretScope();
  const canWrite = Boolean(session.user?.admin) || session.permissions.includes("secret:write");
  return (
    <SecretsPanel
      scope={scope}
      canWrite={canWrite}
      intro="Installation secrets reach the pipelines, agent sessions and deployments of every project. A group's or a project's secret of the same name wins over one here."
      readOnly="Changing installation secrets needs secret:write installation-wide."
    />
  );
}
