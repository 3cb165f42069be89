import { Table, Text } from "@mantine/core";

interface Props {
  label: string;
  attributes: { [key: string]: string };
}

// AttributeTable lists a map of attributes, keys in order, in monospace.
export function AttributeTable({ label, attributes }: Props) {
  const keys = Object.keys(attributes).sort();
  if (keys.length === 0) {
    return (
      <Text size="xs" c="dimmed">
        No {label.toLowerCase()}.
      </Text>
    );
  }
  return (
    <Table aria-label={label} fz="xs" verticalSpacing={2} horizontalSpacing="xs" withRowBorders={false}>
      <Table.Tbody ff="monospace">
        {keys.map((k) => (
          <Table.Tr key={k}>
            <Table.Td c="dimmed" style={{ wordBreak: "break-word", verticalAlign: "top", width: "1%", whiteSpace: "nowrap", maxWidth: 240, overflow: "hidden", textOverflow: "ellipsis" }} title={k}>
              {k}
            </Table.Td>
            <Table.Td style={{ wordBreak: "break-all", whiteSpace: "pre-wrap" }}>{attributes[k]}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}
