import { Paper, Tabs, Text, Textarea } from "@mantine/core";
import { useState } from "react";
import { Markdown } from "./Markdown";

interface Props {
  label: string;
  value: string;
  onChange(value: string): void;
  placeholder?: string;
  minRows?: number;
  autoFocus?: boolean;
  disabled?: boolean;
}

// MarkdownEditor is a markdown text area with a preview tab showing it as
// it will be rendered.
export function MarkdownEditor({ label, value, onChange, placeholder, minRows = 4, autoFocus, disabled }: Props) {
  const [tab, setTab] = useState<string | null>("write");
  return (
    <Tabs value={tab} onChange={setTab} variant="outline" keepMounted={false}>
      <Tabs.List aria-label={`${label}: write or preview`}>
        <Tabs.Tab value="write">Write</Tabs.Tab>
        <Tabs.Tab value="preview">Preview</Tabs.Tab>
      </Tabs.List>
      <Tabs.Panel value="write" pt="xs">
        <Textarea
          aria-label={label}
          description="Markdown: **bold**, `code`, lists, tables, #12 for an issue, !3 for a merge request."
          autosize
          minRows={minRows}
          maxRows={24}
          placeholder={placeholder}
          value={value}
          disabled={disabled}
          autoFocus={autoFocus}
          onChange={(e) => onChange(e.currentTarget.value)}
        />
      </Tabs.Panel>
      <Tabs.Panel value="preview" pt="xs">
        <Paper withBorder p="sm" mih={80} aria-label={`${label} preview`}>
          {value.trim() ? <Markdown>{value}</Markdown> : <Text c="dimmed">Nothing to preview.</Text>}
        </Paper>
      </Tabs.Panel>
    </Tabs>
  );
}
