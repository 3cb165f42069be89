import { defineConfig } from "vitest/config";

// The browser end-to-end tests: a real `hearth dev` (with its embedded
// console build and local agent) driven by playwright-core through
// Debian's chromium. One file at a time: each starts its own hearth.
export default defineConfig({
  test: {
    root: __dirname,
    include: ["**/*.e2e.ts"],
    environment: "node",
    fileParallelism: false,
    testTimeout: 240_000,
    hookTimeout: 240_000,
  },
});
