/// <reference types="vitest/config" />
import { readdirSync, rmSync } from "node:fs";
import { resolve } from "node:path";
import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";

// hearth embeds the build from here (controlplane/internal/console).
const outDir = resolve(__dirname, "../controlplane/internal/console/dist");

// Where `npm run dev` sends API calls: a running `hearth dev` (its default
// --listen is 127.0.0.1:8080). HEARTH_URL points elsewhere.
const hearthURL = process.env.HEARTH_URL ?? "http://127.0.0.1:8080";

// The embed directory keeps a committed README.md so a plain `go build`
// works without a build; empty everything else before building.
function cleanOutDir(): Plugin {
  return {
    name: "hearth-clean-out-dir",
    apply: "build",
    buildStart() {
      for (const entry of readdirSync(outDir)) {
        if (entry !== "README.md") {
          rmSync(resolve(outDir, entry), { recursive: true, force: true });
        }
      }
    },
  };
}

export default defineConfig({
  plugins: [react(), cleanOutDir()],
  build: {
    outDir,
    emptyOutDir: false,
    // Hashed file names under /assets/: hearth caches those for a year.
    assetsDir: "assets",
    sourcemap: false,
    chunkSizeWarningLimit: 1024,
  },
  server: {
    port: 5173,
    strictPort: true,
    // Everything the browser asks hearth for, same-origin from the dev
    // server's point of view, so the session cookie works unchanged.
    proxy: {
      "/hearth.v1.": hearthURL,
      "/api/": hearthURL,
      "/healthz": hearthURL,
    },
  },
  test: {
    environment: "jsdom",
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    css: false,
    restoreMocks: true,
    testTimeout: 30_000,
  },
});
