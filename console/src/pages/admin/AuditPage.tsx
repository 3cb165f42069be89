import { Stack } from "@mantine/core";
import { useState } from "react";
import { AuditFilters } from "../../components/admin/AuditFilters";
import { AuditList } from "../../components/admin/AuditList";
import { emptyAuditFilter, type AuditFilter } from "../../components/admin/useAuditEvents";

// AuditPage: the audit log, newest first, filtered and paged.
export function AuditPage() {
  const [filter, setFilter] = useState<AuditFilter>(emptyAuditFilter);
  return (
    <Stack>
      <AuditFilters value={filter} onChange={setFilter} />
      <AuditList filter={filter} />
    </Stack>
  );
}
