import { Skeleton, Stack } from "@mantine/core";
import { useParams } from "react-router";
import { useSettingsContext } from "../../../components/settings/settingsContext";
import { useProjectPermission } from "../../../components/settings/useProjectAccess";
import { WebhookDeliveries } from "../../../components/webhooks/WebhookDeliveries";
import { WebhooksPanel } from "../../../components/webhooks/WebhooksPanel";
import { useProjectWebhookScope } from "../../../components/webhooks/webhookScope";
import { WebhooksDenied } from "../../../components/webhooks/WebhooksDenied";

// WebhooksSettingsPage: the project's webhooks, or (under
// webhooks/:webhookId) one webhook's delivery log. Both need project:admin.
export function WebhooksSettingsPage() {
  const { project } = useSettingsContext();
  const { webhookId } = useParams();
  const scope = useProjectWebhookScope(project.owner, project.name);
  const admin = useProjectPermission(project, "project:admin");
  if (admin.pending) {
    return (
      <Stack aria-busy="true" aria-label="Loading the webhooks">
        <Skeleton h={32} w={200} />
        <Skeleton h={120} />
      </Stack>
    );
  }
  if (!admin.allowed) {
    return <WebhooksDenied>Only the project&apos;s maintainers (project:admin) can see and change its webhooks.</WebhooksDenied>;
  }
  if (webhookId) {
    return <WebhookDeliveries scope={scope} webhookId={webhookId} />;
  }
  return (
    <WebhooksPanel
      scope={scope}
      intro={
        <>
          Hearth POSTs this project&apos;s events (pipelines, issues, merge requests, mentions) to each webhook as JSON, signed
          with its secret, and retries failed deliveries with backoff. A webhook that keeps failing is disabled until you enable
          it again.
        </>
      }
    />
  );
}
