import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { useClient } from "../../api/useClient";
import { AuditService } from "../../gen/hearth/v1/audit_pb";
import { ProjectService } from "../../gen/hearth/v1/project_pb";
import { UserService } from "../../gen/hearth/v1/user_pb";
import { findUser } from "./findUser";

// AuditFilter is what the audit page filters by, as people write it.
export interface AuditFilter {
  actionPrefix: string;
  // A username; resolved to the actor's id.
  actor: string;
  // owner/name; resolved to the project's id.
  project: string;
  // YYYY-MM-DD: events from that day on.
  since: string;
}

export const emptyAuditFilter: AuditFilter = { actionPrefix: "", actor: "", project: "", since: "" };
export const auditPageSize = 50;

// useAuditEvents pages through the audit log, newest first, filtered. The
// actor and project are looked up by name first.
export function useAuditEvents(filter: AuditFilter) {
  const audit = useClient(AuditService);
  const users = useClient(UserService);
  const projects = useClient(ProjectService);
  const ids = useQuery({
    queryKey: ["admin", "audit-filter", filter.actor, filter.project],
    queryFn: async () => {
      const actorId = filter.actor ? (await findUser(users, filter.actor)).id : "";
      let projectId = "";
      if (filter.project) {
        const [owner, ...rest] = filter.project.split("/");
        projectId = (await projects.getProject({ owner, name: rest.join("/") })).project?.id ?? "";
      }
      return { actorId, projectId };
    },
  });
  const events = useInfiniteQuery({
    queryKey: ["admin", "audit", filter, ids.data],
    enabled: ids.isSuccess,
    queryFn: ({ pageParam, signal }) =>
      audit.listAuditEvents(
        {
          actorId: ids.data?.actorId ?? "",
          projectId: ids.data?.projectId ?? "",
          actionPrefix: filter.actionPrefix,
          since: filter.since ? timestampFromDate(new Date(`${filter.since}T00:00:00`)) : undefined,
          pageSize: auditPageSize,
          pageToken: pageParam,
        },
        { signal },
      ),
    initialPageParam: "",
    getNextPageParam: (last) => last.nextPageToken || undefined,
  });
  return { ids, events };
}
