import { SecretsPanel } from "../../../components/secrets/SecretsPanel";
import { useProjectSecretScope } from "../../../components/secrets/secretScope";
import { useSettingsContext } from "../../../components/settings/settingsContext";
import { useProjectPermission } from "../../../components/settings/useProjectAccess";

// SecretsSettingsPage: the project's own secrets. Reading them needs
// secret:read, changing them secret:write.
export function SecretsSettingsPage() {
  const { project, canAdmin } = useSettingsContext();
  const scope = useProjectSecretScope(project.owner, project.name);
  const write = useProjectPermission(project, "secret:write");
  return (
    <SecretsPanel
      scope={scope}
      canWrite={!write.pending && write.allowed}
      intro={
        <>
          Values for this project&apos;s pipelines, agent sessions and deployments, encrypted at rest and never shown again. Secrets of
          its group and of the installation reach it too; one of the same name here wins.
        </>
      }
      // The settings say it already to those who may not change them.
      readOnly={canAdmin && !write.pending ? "Only members who may change secrets (secret:write) can add, change or delete them." : undefined}
    />
  );
}
