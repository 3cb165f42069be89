import type { RouteObject } from "react-router";
import { TokensPage } from "./TokensPage";

// tokenRoutes: the personal access token pages, relative to /-/tokens.
export const tokenRoutes: RouteObject[] = [{ index: true, element: <TokensPage /> }];
