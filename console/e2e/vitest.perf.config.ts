import { defineConfig } from "vitest/config";

// Browser measurements (make bench): like the end-to-end tests, a real
// hearth dev and Debian's chromium; each prints its figures.
export default defineConfig({
  test: {
    root: __dirname,
    include: ["**/*.perf.ts"],
    environment: "node",
    fileParallelism: false,
    testTimeout: 900_000,
    hookTimeout: 300_000,
  },
});
