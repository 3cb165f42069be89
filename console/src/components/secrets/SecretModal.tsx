import { create } from "@bufbuild/protobuf";
import { Button, Checkbox, Group, Modal, PasswordInput, Stack, Switch, Textarea, TextInput } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { SecretInputSchema, type Secret } from "../../gen/hearth/v1/secret_pb";
import { ErrorAlert } from "../ErrorAlert";
import type { SecretScope } from "./secretScope";
import {
  descriptionProblem,
  environmentLabel,
  environmentProblem,
  maxDescription,
  nameProblem,
  secretTitle,
  secretUsages,
  valueBytes,
  valueProblem,
} from "./secretRules";

const mono = { input: { fontFamily: "var(--mantine-font-family-monospace)" } };

interface Props {
  scope: SecretScope;
  // The secret being edited; null adds one.
  secret: Secret | null;
  // The scope's secrets, to catch adding one that exists.
  existing: readonly Secret[];
  opened: boolean;
  onClose(): void;
}

// SecretModal adds a secret, or sets a new value and changes the metadata
// of one. A secret is known by its name and environment, so editing keeps
// both. The value is write-only: the dialog never receives it, and an
// empty value keeps the current one.
export function SecretModal({ scope, secret, existing, opened, onClose }: Props) {
  const queryClient = useQueryClient();
  const isNew = secret === null;
  const [name, setName] = useState(secret?.name ?? "");
  const [environment, setEnvironment] = useState(secret?.environment ?? "");
  const [value, setValue] = useState("");
  const [multiline, setMultiline] = useState(false);
  const [isProtected, setProtected] = useState(secret?.protected ?? false);
  const [usages, setUsages] = useState<string[]>(() => {
    const keys = secretUsages.filter((u) => secret?.usages.includes(u.value)).map((u) => u.key);
    return keys.length > 0 ? keys : ["pipeline"];
  });
  const [description, setDescription] = useState(secret?.description ?? "");

  const save = useMutation({
    // The request is built here, not passed to mutate, so the value is not
    // kept in the mutation cache.
    mutationFn: () =>
      scope.set(
        create(SecretInputSchema, {
          name: name.trim(),
          environment: environment.trim(),
          protected: isProtected,
          usages: secretUsages.filter((u) => usages.includes(u.key)).map((u) => u.value),
          description: description.trim(),
          value: value === "" ? new Uint8Array(0) : valueBytes(value),
        }),
      ),
    onSuccess: (saved) => {
      void queryClient.invalidateQueries({ queryKey: scope.queryKey });
      const title = secretTitle(saved ?? { name: name.trim(), environment: environment.trim() });
      notifications.show({
        color: "green",
        message: isNew ? `Added the secret ${title}.` : value ? `Set a new value of ${title} (version ${saved?.version}).` : `Saved ${title}.`,
      });
      setValue("");
      onClose();
    },
  });

  const duplicate =
    isNew && existing.some((s) => s.name === name.trim() && s.environment === environment.trim())
      ? `${name.trim()} already exists for ${environment.trim() ? `environment ${environment.trim()}` : "all environments"} in ${
          scope.where
        }: edit it to set a new value.`
      : null;
  const problems = {
    name: nameProblem(name.trim()) ?? duplicate,
    environment: environmentProblem(environment.trim()),
    value: valueProblem(value),
    description: descriptionProblem(description.trim()),
    usages: usages.length === 0 ? "Choose at least one." : null,
  };
  const ready = Boolean(name.trim()) && (!isNew || value !== "") && Object.values(problems).every((p) => p === null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (ready) {
      save.mutate();
    }
  };
  const close = () => {
    setValue("");
    save.reset();
    onClose();
  };

  const valueLabel = isNew ? "Value" : "New value";
  const valueDescription = isNew
    ? "At least 8 bytes, at most 64 KiB. It cannot be read back: not here, not through the API."
    : `Leave empty to keep the current value (version ${secret.version}). It cannot be read back.`;
  const valueField = {
    label: valueLabel,
    description: valueDescription,
    required: isNew,
    value,
    error: problems.value,
    autoComplete: "new-password",
    spellCheck: false,
    "data-1p-ignore": true,
    "data-lpignore": "true",
  } as const;

  return (
    <Modal
      opened={opened}
      onClose={close}
      title={isNew ? "New secret" : `Edit secret ${secretTitle(secret)}`}
      size="lg"
      closeOnClickOutside={false}
    >
      <form onSubmit={submit} noValidate aria-label={isNew ? "New secret" : "Edit secret"}>
        <Stack>
          {save.isError && <ErrorAlert error={save.error} title="Could not save the secret" />}
          <TextInput
            label="Name"
            description="Letters, digits and _, not starting with a digit: the name .hearth.yml asks for and the default variable name."
            required
            data-autofocus={isNew || undefined}
            disabled={!isNew}
            value={name}
            error={problems.name}
            styles={mono}
            autoComplete="off"
            spellCheck={false}
            onChange={(e) => setName(e.currentTarget.value)}
          />
          {multiline ? (
            <Textarea
              {...valueField}
              data-autofocus={!isNew || undefined}
              autosize
              minRows={4}
              maxRows={12}
              styles={mono}
              onChange={(e) => setValue(e.currentTarget.value)}
            />
          ) : (
            <PasswordInput {...valueField} data-autofocus={!isNew || undefined} onChange={(e) => setValue(e.currentTarget.value)} />
          )}
          <Switch
            label="Multi-line value"
            description="For keys and certificates. The value shows as it is typed."
            checked={multiline}
            onChange={(e) => setMultiline(e.currentTarget.checked)}
          />
          <TextInput
            label="Environment"
            description={
              isNew
                ? "Leave empty for every environment, or name one (e.g. production): a secret for the job's environment wins over one for all."
                : `Environment: ${environmentLabel(environment)}.`
            }
            placeholder="all"
            disabled={!isNew}
            value={environment}
            error={problems.environment}
            autoComplete="off"
            spellCheck={false}
            onChange={(e) => setEnvironment(e.currentTarget.value)}
          />
          <Checkbox
            label="Protected"
            description="Only pipelines of protected branches and tags receive it."
            checked={isProtected}
            onChange={(e) => setProtected(e.currentTarget.checked)}
          />
          <Checkbox.Group label="Usages" description="What may receive it." value={usages} onChange={setUsages} error={problems.usages} required>
            <Stack gap="xs" mt="xs">
              {secretUsages.map((u) => (
                <Checkbox key={u.key} value={u.key} label={u.label} description={u.help} />
              ))}
            </Stack>
          </Checkbox.Group>
          <Textarea
            label="Description"
            description={`What it is for (at most ${maxDescription} characters).`}
            autosize
            minRows={2}
            maxRows={6}
            value={description}
            error={problems.description}
            onChange={(e) => setDescription(e.currentTarget.value)}
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button type="submit" loading={save.isPending} disabled={!ready}>
              Save secret
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
