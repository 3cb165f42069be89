import type { RouteObject } from "react-router";

// tokenRoutes: the personal access token pages, relative to /-/tokens.
// Each page is its own chunk, loaded when first visited.
export const tokenRoutes: RouteObject[] = [{ index: true, lazy: () => import("./TokensPage").then((m) => ({ Component: m.TokensPage })) }];
