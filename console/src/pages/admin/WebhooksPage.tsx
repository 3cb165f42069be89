import { useParams } from "react-router";
import { useSession } from "../../auth/useSession";
import { WebhookDeliveries } from "../../components/webhooks/WebhookDeliveries";
import { WebhooksDenied } from "../../components/webhooks/WebhooksDenied";
import { WebhooksPanel } from "../../components/webhooks/WebhooksPanel";
import { useInstanceWebhookScope } from "../../components/webhooks/webhookScope";

// WebhooksPage: the installation's webhooks, which receive the events of
// every project, or (under webhooks/:webhookId) one's delivery log. They
// need project:admin installation-wide.
export function WebhooksPage() {
  const session = useSession();
  const { webhookId } = useParams();
  const scope = useInstanceWebhookScope();
  const allowed = Boolean(session.user?.admin) || session.permissions.includes("project:admin");
  if (!allowed) {
    return <WebhooksDenied>Installation webhooks need project:admin installation-wide.</WebhooksDenied>;
  }
  if (webhookId) {
    return <WebhookDeliveries scope={scope} webhookId={webhookId} />;
  }
  return (
    <WebhooksPanel
      scope={scope}
      intro="Installation webhooks receive the events of every project, and the installation's own (a webhook disabled after failing). Projects add their own under their settings."
    />
  );
}
