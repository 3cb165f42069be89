// eventTypes: the event types hearth notifies about and webhooks deliver
// (controlplane/internal/event), in words, grouped as the webhook dialog
// shows them.
export const eventTypes = [
  { value: "pipeline.failed", label: "Pipeline failed", group: "Pipelines" },
  { value: "pipeline.succeeded", label: "Pipeline succeeded", group: "Pipelines" },
  { value: "pipeline.recovered", label: "Pipeline recovered", group: "Pipelines" },
  { value: "issue.created", label: "Issue opened", group: "Issues" },
  { value: "issue.commented", label: "Issue commented on", group: "Issues" },
  { value: "issue.closed", label: "Issue closed", group: "Issues" },
  { value: "merge_request.created", label: "Merge request opened", group: "Merge requests" },
  { value: "merge_request.commented", label: "Merge request commented on", group: "Merge requests" },
  { value: "merge_request.reviewed", label: "Merge request reviewed", group: "Merge requests" },
  { value: "merge_request.merged", label: "Merge request merged", group: "Merge requests" },
  { value: "merge_request.closed", label: "Merge request closed", group: "Merge requests" },
  { value: "merge_request.review_requested", label: "Review requested", group: "Merge requests" },
  { value: "mentioned", label: "Mentioned", group: "Other" },
  { value: "webhook.disabled", label: "Webhook disabled", group: "Other" },
] as const;

export type EventType = (typeof eventTypes)[number]["value"];

// Types only notifications carry (a webhook cannot ask for them).
const otherLabels: Record<string, string> = {
  "alert.fired": "Alert fired",
  "agent_session.needs_input": "Agent session needs input",
};

// eventLabel is an event type in words; an unknown one stays as it is.
export function eventLabel(type: string): string {
  return eventTypes.find((t) => t.value === type)?.label ?? otherLabels[type] ?? type;
}

// eventGroups lists the groups in order, each with its types.
export function eventGroups(): { group: string; types: (typeof eventTypes)[number][] }[] {
  const out: { group: string; types: (typeof eventTypes)[number][] }[] = [];
  for (const t of eventTypes) {
    const g = out.find((o) => o.group === t.group);
    if (g) {
      g.types.push(t);
    } else {
      out.push({ group: t.group, types: [t] });
    }
  }
  return out;
}
