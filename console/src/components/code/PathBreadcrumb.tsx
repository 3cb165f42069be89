import { Anchor, Breadcrumbs, Text } from "@mantine/core";
import { Link } from "react-router";
import { treePath } from "./codePaths";

interface Props {
  owner: string;
  name: string;
  refName: string;
  path: string;
}

// PathBreadcrumb is the way up from a directory or file: the repository
// root, then each directory, the last segment as plain text.
export function PathBreadcrumb({ owner, name, refName, path }: Props) {
  const parts = path.split("/").filter(Boolean);
  return (
    <nav aria-label="Path" style={{ minWidth: 0 }}>
      <Breadcrumbs separatorMargin={4} style={{ flexWrap: "wrap", rowGap: 2 }}>
        {parts.length === 0 ? (
          <Text size="sm" fw={600} ff="monospace" aria-current="page">
            {name}
          </Text>
        ) : (
          <Anchor component={Link} to={treePath(owner, name, refName)} size="sm" ff="monospace">
            {name}
          </Anchor>
        )}
        {parts.map((part, i) =>
          i === parts.length - 1 ? (
            <Text key={i} size="sm" fw={600} ff="monospace" aria-current="page" style={{ wordBreak: "break-all" }}>
              {part}
            </Text>
          ) : (
            <Anchor key={i} component={Link} to={treePath(owner, name, refName, parts.slice(0, i + 1).join("/"))} size="sm" ff="monospace">
              {part}
            </Anchor>
          ),
        )}
      </Breadcrumbs>
    </nav>
  );
}
