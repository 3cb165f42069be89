import { Select } from "@mantine/core";
import { IconGitBranch } from "@tabler/icons-react";
import { useMemo } from "react";
import { useNavigate } from "react-router";
import { codePath, shortSha, type CodeView } from "./codePaths";
import { useBranches, useTags } from "./useRepository";

interface Props {
  owner: string;
  name: string;
  // The ref shown now (a branch, a tag or a commit SHA).
  current: string;
  // The page to stay on, and the path in it, when another ref is picked.
  view: CodeView;
  path: string;
}

// RefPicker chooses a branch or tag (searchable) and opens the same page,
// at the same path, for it.
export function RefPicker({ owner, name, current, view, path }: Props) {
  const branches = useBranches(owner, name);
  const tags = useTags(owner, name);
  const navigate = useNavigate();

  const { data, value } = useMemo(() => {
    const branchNames = branches.data?.branches.map((b) => b.name) ?? [];
    const tagNames = tags.data?.tags.map((t) => t.name) ?? [];
    const groups = [
      { group: "Branches", items: branchNames.map((n) => ({ value: `branch:${n}`, label: n })) },
      { group: "Tags", items: tagNames.map((n) => ({ value: `tag:${n}`, label: n })) },
    ];
    let selected: string;
    if (branchNames.includes(current)) {
      selected = `branch:${current}`;
    } else if (tagNames.includes(current)) {
      selected = `tag:${current}`;
    } else {
      selected = `rev:${current}`;
      const label = /^[0-9a-f]{40,64}$/i.test(current) ? shortSha(current) : current;
      groups.push({ group: "Revision", items: [{ value: selected, label }] });
    }
    return { data: groups.filter((g) => g.items.length > 0), value: selected };
  }, [branches.data, tags.data, current]);

  return (
    <Select
      aria-label="Branch or tag"
      size="xs"
      w={{ base: "100%", xs: 220 }}
      leftSection={<IconGitBranch size={14} aria-hidden />}
      data={data}
      value={value}
      searchable
      allowDeselect={false}
      nothingFoundMessage="No branch or tag matches"
      maxDropdownHeight={320}
      comboboxProps={{ withinPortal: true }}
      onChange={(v) => {
        if (!v || v === value) {
          return;
        }
        const ref = v.slice(v.indexOf(":") + 1);
        void navigate(codePath(view, owner, name, ref, path));
      }}
    />
  );
}
