import { defineConfig } from "vitest/config";

// Unit tests of the portal's pure modules (day ranges, formats, the policy line diff, Retry-After) and of its import
// graph: Node, no browser (the browser tests are tests/integration/test_portal_*browser.py). `npm run portal:unit`.
export default defineConfig({
  root: import.meta.dirname,
  test: {
    include: ["tests/**/*.test.ts"],
    environment: "node",
    env: { TZ: "UTC" }, // the modules under test must not depend on the machine's zone: it is pinned to one
  },
});
