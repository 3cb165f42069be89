import { Alert } from "@mantine/core";
import { IconLock } from "@tabler/icons-react";

// ReadOnlyNotice tells a user who may look but not change why there is
// nothing to press.
export function ReadOnlyNotice({ children }: { children: string }) {
  return (
    <Alert color="gray" variant="light" icon={<IconLock aria-hidden />} title="Read only">
      {children}
    </Alert>
  );
}
