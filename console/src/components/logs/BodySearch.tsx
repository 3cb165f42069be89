import { Button, Checkbox, Group, TextInput } from "@mantine/core";
import { IconSearch } from "@tabler/icons-react";
import { useState, type FormEvent } from "react";

interface Props {
  q: string;
  regexp: boolean;
  onSearch(q: string, regexp: boolean): void;
}

// BodySearch: text the body contains, or (checked) an RE2 regular
// expression it matches; applied with Enter or its button.
export function BodySearch({ q, regexp, onSearch }: Props) {
  const [draft, setDraft] = useState(q);
  // The mode is the reader's until there is something to search for.
  const [asRegexp, setAsRegexp] = useState(regexp);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onSearch(draft.trim() === "" ? "" : draft, asRegexp);
  };
  return (
    <form onSubmit={submit} role="search" aria-label="Search log bodies">
      <Group gap="xs" align="flex-end" wrap="nowrap">
        <TextInput
          size="xs"
          label={asRegexp ? "Body matches (RE2)" : "Body contains"}
          placeholder={asRegexp ? "time(out|d out)" : "timeout"}
          leftSection={<IconSearch size={14} aria-hidden />}
          value={draft}
          onChange={(e) => setDraft(e.currentTarget.value)}
          ff={asRegexp ? "monospace" : undefined}
          style={{ flex: 1, minWidth: 0 }}
        />
        <Checkbox
          size="xs"
          label="Regexp"
          checked={asRegexp}
          onChange={(e) => {
            const on = e.currentTarget.checked;
            setAsRegexp(on);
            if (q !== "") {
              onSearch(q, on);
            }
          }}
          mb={6}
        />
        <Button size="xs" type="submit" variant="default">
          Search
        </Button>
      </Group>
    </form>
  );
}
