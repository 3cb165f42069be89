import { Alert } from "@mantine/core";
import { IconLock } from "@tabler/icons-react";
import type { ReactNode } from "react";

// WebhooksDenied tells a user who may not manage webhooks why there is no
// list: even reading one needs the right (its URL may carry a token).
export function WebhooksDenied({ children }: { children: ReactNode }) {
  return (
    <Alert color="gray" variant="light" icon={<IconLock aria-hidden />} title="Webhooks">
      {children}
    </Alert>
  );
}
