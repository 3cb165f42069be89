import type { ReactNode } from "react";
import { Navigate, useLocation } from "react-router";
import { useSession } from "../auth/useSession";
import { FullPageLoader } from "../components/FullPageLoader";
import { paths, signInPath } from "./paths";

// RequireAuth shows its children to a signed-in user; anyone else goes to
// the sign-in page, which brings them back here. A user who must change
// their password is sent to do that first (the API refuses everything
// else until then).
export function RequireAuth({ children }: { children: ReactNode }) {
  const session = useSession();
  const location = useLocation();
  if (session.status === "loading") {
    return <FullPageLoader />;
  }
  if (session.status === "signed-out") {
    return <Navigate to={signInPath(location.pathname + location.search)} replace />;
  }
  if (session.user?.mustChangePassword && location.pathname !== paths.changePassword) {
    return <Navigate to={paths.changePassword} replace />;
  }
  return children;
}
