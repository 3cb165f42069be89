import { create } from "@bufbuild/protobuf";
import { Button, Group, Modal, NativeSelect, NumberInput, SegmentedControl, Stack, Switch, Text, TextInput } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useClient } from "../../api/useClient";
import type { Project } from "../../gen/hearth/v1/project_pb";
import { ProtectedRefSchema, RefRuleService, type ProtectedRef } from "../../gen/hearth/v1/refrule_pb";
import { ErrorAlert } from "../ErrorAlert";
import { refRulesKey } from "./useRefRules";

export const pushPermissions = [
  { value: "repo:write", label: "Anyone who may write (repo:write)" },
  { value: "project:admin", label: "Maintainers only (project:admin)" },
];

interface Props {
  project: Project;
  // The rule being edited; null creates one.
  rule: ProtectedRef | null;
  opened: boolean;
  onClose(): void;
}

// RefRuleModal creates or edits a protected branch or tag rule. A rule is
// known by its kind and pattern, so editing keeps both.
export function RefRuleModal({ project, rule, opened, onClose }: Props) {
  const rules = useClient(RefRuleService);
  const queryClient = useQueryClient();
  const [kind, setKind] = useState(rule?.kind || "branch");
  const [pattern, setPattern] = useState(rule?.pattern ?? "");
  const [pushPermission, setPushPermission] = useState(rule?.pushPermission || "repo:write");
  const [allowForcePush, setAllowForcePush] = useState(rule?.allowForcePush ?? false);
  const [allowDeletion, setAllowDeletion] = useState(rule?.allowDeletion ?? false);
  const [approvals, setApprovals] = useState<number>(rule?.requiredApprovals ?? 0);
  const [requirePipeline, setRequirePipeline] = useState(rule?.requirePipeline ?? false);
  const isBranch = kind === "branch";

  const save = useMutation({
    mutationFn: () =>
      rules.setProtectedRef({
        owner: project.owner,
        name: project.name,
        rule: create(ProtectedRefSchema, {
          kind,
          pattern: pattern.trim(),
          pushPermission,
          allowForcePush,
          allowDeletion,
          requiredApprovals: isBranch ? approvals : 0,
          requirePipeline: isBranch ? requirePipeline : false,
        }),
      }),
    onSuccess: (res) => {
      void queryClient.invalidateQueries({ queryKey: refRulesKey(project.owner, project.name) });
      notifications.show({ color: "green", message: `Saved the rule for ${res.rule?.pattern}.` });
      onClose();
    },
  });
  const approvalsProblem = !Number.isInteger(approvals) || approvals < 0 || approvals > 50 ? "0 to 50." : null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (pattern.trim() && !approvalsProblem) {
      save.mutate();
    }
  };

  return (
    <Modal opened={opened} onClose={onClose} title={rule ? `Edit rule ${rule.pattern}` : "New protection rule"} size="lg">
      <form onSubmit={submit} noValidate>
        <Stack>
          {save.isError && <ErrorAlert error={save.error} title="Could not save the rule" />}
          <Stack gap={4}>
            <Text size="sm" fw={500} id="refrule-kind-label">
              Protects
            </Text>
            <SegmentedControl
              aria-labelledby="refrule-kind-label"
              value={kind}
              onChange={setKind}
              disabled={rule !== null}
              data={[
                { value: "branch", label: "Branches" },
                { value: "tag", label: "Tags" },
              ]}
            />
          </Stack>
          <TextInput
            label="Pattern"
            description={`A name or glob, e.g. main or release/* (path.Match syntax).`}
            required
            data-autofocus
            value={pattern}
            disabled={rule !== null}
            onChange={(e) => setPattern(e.currentTarget.value)}
          />
          <NativeSelect
            label="Who may push"
            data={pushPermissions}
            value={pushPermission}
            onChange={(e) => setPushPermission(e.currentTarget.value)}
          />
          <Switch label="Allow force pushes" checked={allowForcePush} onChange={(e) => setAllowForcePush(e.currentTarget.checked)} />
          <Switch label="Allow deletion" checked={allowDeletion} onChange={(e) => setAllowDeletion(e.currentTarget.checked)} />
          {isBranch && (
            <>
              <NumberInput
                label="Required approvals"
                description="Approvals a merge request into a matching branch needs (0: none)."
                min={0}
                max={50}
                allowDecimal={false}
                allowNegative={false}
                value={approvals}
                error={approvalsProblem}
                onChange={(v) => setApprovals(typeof v === "number" ? v : Number(v) || 0)}
              />
              <Switch
                label="Require a green pipeline"
                description="A merge request needs a successful pipeline on its source commit."
                checked={requirePipeline}
                onChange={(e) => setRequirePipeline(e.currentTarget.checked)}
              />
            </>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={save.isPending} disabled={!pattern.trim() || !!approvalsProblem}>
              Save rule
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
