import { defineConfig } from "vite";

// The portal is plain static files that Azure Static Web Apps serves; config.json is read at run time.
// `npm run portal:build` (vite build portal) builds dist/ for the local stack and the tests; `npm run
// portal:build:azure` (mode "azure") builds dist-azure/, which accepts only an MSAL config.json (src/config.ts), so
// the bundle the local portal server serves and the one deployed to Azure are never the same folder.
export default defineConfig(({ mode }) => ({
  base: "/",
  build: {
    outDir: mode === "azure" ? "dist-azure" : "dist",
    emptyOutDir: true,
    sourcemap: false,
    target: "es2022",
    chunkSizeWarningLimit: 1500, // the map library is its own chunk, loaded only by the pages with a map
  },
}));
