import { useMemo } from "react";
import { useClient } from "../../api/useClient";
import { SecretService, type Secret, type SecretInput } from "../../gen/hearth/v1/secret_pb";

// SecretScope is where a list of secrets lives (a project, the
// installation, …) as the shared secrets list and dialog see it: the
// calls of SecretService for that scope and the words that name it.
export interface SecretScope {
  // The list's query key.
  queryKey: readonly unknown[];
  // The scope in words, for sentences: "this project", "the installation".
  where: string;
  list(signal?: AbortSignal): Promise<Secret[]>;
  // set creates a secret or changes it (an empty value keeps the current
  // one); it answers the stored metadata.
  set(input: SecretInput): Promise<Secret | undefined>;
  remove(secret: Pick<Secret, "name" | "environment">): Promise<void>;
  // rotateKey gives the scope a new data key and answers how many values
  // are re-encrypted under it in the background. Only scopes that can
  // rotate their key on demand have it.
  rotateKey?: () => Promise<bigint>;
}

export function projectSecretsKey(owner: string, name: string) {
  return ["secrets", "project", owner.toLowerCase(), name.toLowerCase()] as const;
}

export const instanceSecretsKey = ["secrets", "instance"] as const;

// useProjectSecretScope is a project's own secrets.
export function useProjectSecretScope(owner: string, name: string): SecretScope {
  const secrets = useClient(SecretService);
  return useMemo(
    () => ({
      queryKey: projectSecretsKey(owner, name),
      where: "this project",
      list: (signal) => secrets.listProjectSecrets({ owner, name }, { signal }).then((r) => r.secrets),
      set: (secret) => secrets.setProjectSecret({ owner, name, secret }).then((r) => r.secret),
      remove: (s) => secrets.deleteProjectSecret({ owner, name, secretName: s.name, environment: s.environment }).then(() => undefined),
      rotateKey: () => secrets.rotateProjectKey({ owner, name }).then((r) => r.pendingValues),
    }),
    [secrets, owner, name],
  );
}

// useInstanceSecretScope is the installation's secrets, which every
// project receives.
export function useInstanceSecretScope(): SecretScope {
  const secrets = useClient(SecretService);
  return useMemo(
    () => ({
      queryKey: instanceSecretsKey,
      where: "the installation",
      list: (signal) => secrets.listInstanceSecrets({}, { signal }).then((r) => r.secrets),
      set: (secret) => secrets.setInstanceSecret({ secret }).then((r) => r.secret),
      remove: (s) => secrets.deleteInstanceSecret({ secretName: s.name, environment: s.environment }).then(() => undefined),
    }),
    [secrets],
  );
}
