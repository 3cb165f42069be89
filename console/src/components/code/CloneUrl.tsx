import { ActionIcon, CopyButton, TextInput, Tooltip } from "@mantine/core";
import { IconCheck, IconCopy } from "@tabler/icons-react";

// CloneUrl shows the repository's HTTPS clone URL with a copy button.
export function CloneUrl({ url, w }: { url: string; w?: number | string }) {
  return (
    <TextInput
      aria-label="Clone URL"
      value={url}
      readOnly
      size="xs"
      w={w ?? { base: "100%", sm: 340 }}
      ff="monospace"
      onFocus={(e) => e.currentTarget.select()}
      rightSection={
        <CopyButton value={url} timeout={2000}>
          {({ copied, copy }) => (
            <Tooltip label={copied ? "Copied" : "Copy the clone URL"} withArrow>
              <ActionIcon
                variant="subtle"
                color={copied ? "teal" : "gray"}
                onClick={copy}
                aria-label={copied ? "Copied" : "Copy the clone URL"}
              >
                {copied ? <IconCheck size={16} aria-hidden /> : <IconCopy size={16} aria-hidden />}
              </ActionIcon>
            </Tooltip>
          )}
        </CopyButton>
      }
    />
  );
}
