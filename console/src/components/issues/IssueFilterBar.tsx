import { CloseButton, Group, SegmentedControl, Select, TextInput } from "@mantine/core";
import { IconSearch, IconUser } from "@tabler/icons-react";
import type { Label } from "../../gen/hearth/v1/issue_pb";
import type { IssueFilters } from "./issueFilters";

interface Props {
  // What the inputs show (text inputs update the URL after a pause).
  state: IssueFilters["state"];
  label: string;
  assignee: string;
  q: string;
  labels: Label[];
  onState(state: IssueFilters["state"]): void;
  onLabel(label: string): void;
  onAssignee(assignee: string): void;
  onQuery(q: string): void;
}

// IssueFilterBar: state, label, assignee and full-text search.
export function IssueFilterBar(props: Props) {
  const labelData = props.labels.map((l) => l.name);
  if (props.label && !labelData.some((l) => l.toLowerCase() === props.label.toLowerCase())) {
    labelData.push(props.label);
  }
  return (
    <Group gap="sm" wrap="wrap" align="flex-end">
      <SegmentedControl
        aria-label="State"
        value={props.state}
        onChange={(v) => props.onState(v as IssueFilters["state"])}
        data={[
          { value: "open", label: "Open" },
          { value: "closed", label: "Closed" },
          { value: "all", label: "All" },
        ]}
      />
      <TextInput
        type="search"
        aria-label="Search issues"
        placeholder="Search title and body"
        leftSection={<IconSearch size={16} aria-hidden />}
        rightSection={props.q ? <CloseButton aria-label="Clear search" onClick={() => props.onQuery("")} /> : null}
        value={props.q}
        onChange={(e) => props.onQuery(e.currentTarget.value)}
        style={{ flex: "1 1 200px" }}
      />
      <Select
        aria-label="Label"
        placeholder="Any label"
        clearable
        searchable
        data={labelData}
        value={props.label || null}
        onChange={(v) => props.onLabel(v ?? "")}
        style={{ flex: "0 1 180px" }}
      />
      <TextInput
        aria-label="Assignee"
        placeholder="Assignee"
        leftSection={<IconUser size={16} aria-hidden />}
        rightSection={props.assignee ? <CloseButton aria-label="Clear assignee" onClick={() => props.onAssignee("")} /> : null}
        value={props.assignee}
        onChange={(e) => props.onAssignee(e.currentTarget.value)}
        style={{ flex: "0 1 160px" }}
      />
    </Group>
  );
}
