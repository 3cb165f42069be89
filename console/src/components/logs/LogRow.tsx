import { ActionIcon, Table } from "@mantine/core";
import { IconChevronDown, IconChevronRight } from "@tabler/icons-react";
import { useState } from "react";
import type { LogRecord } from "../../gen/hearth/v1/observe_pb";
import { formatInstant } from "../telemetry/duration";
import { LogDetails } from "./LogDetails";
import { SeverityBadge } from "./SeverityBadge";

interface Props {
  owner: string;
  name: string;
  record: LogRecord;
}

const cell = { whiteSpace: "nowrap", verticalAlign: "top" } as const;

// LogRow is one record on one line (time, severity, service, body); its
// toggle opens its details beneath.
export function LogRow({ owner, name, record }: Props) {
  const [open, setOpen] = useState(false);
  const time = formatInstant(record.time);
  return (
    <>
      <Table.Tr
        onClick={(e) => {
          // A click that selected text is a reader copying, not toggling.
          if (!window.getSelection()?.toString() && !(e.target as HTMLElement).closest("a")) {
            setOpen((o) => !o);
          }
        }}
        style={{ cursor: "pointer" }}
        data-severity={record.severityNumber}
      >
        <Table.Td style={cell} w={28} px={4}>
          <ActionIcon
            variant="subtle"
            color="gray"
            size="xs"
            aria-expanded={open}
            aria-label={`${open ? "Hide" : "Show"} details of the record at ${time}`}
            onClick={(e) => {
              e.stopPropagation();
              setOpen((o) => !o);
            }}
          >
            {open ? <IconChevronDown size={14} aria-hidden /> : <IconChevronRight size={14} aria-hidden />}
          </ActionIcon>
        </Table.Td>
        <Table.Td style={cell} c="dimmed">
          {time}
        </Table.Td>
        <Table.Td style={cell}>
          <SeverityBadge number={record.severityNumber} text={record.severityText} />
        </Table.Td>
        <Table.Td style={{ ...cell, maxWidth: 160, overflow: "hidden", textOverflow: "ellipsis" }} title={record.service}>
          {record.service}
        </Table.Td>
        <Table.Td style={{ ...cell, overflow: "hidden", textOverflow: "ellipsis", maxWidth: 0, width: "100%" }} title={record.body}>
          {record.body}
        </Table.Td>
      </Table.Tr>
      {open && (
        <Table.Tr>
          <Table.Td colSpan={5} bg="var(--mantine-color-default-hover)">
            <LogDetails owner={owner} name={name} record={record} />
          </Table.Td>
        </Table.Tr>
      )}
    </>
  );
}
