import { defineConfig } from "vite";

// The portal is plain static files (dist/) that Azure Static Web Apps serves; config.json is read at run time.
// Built with `npm run portal:build` (vite build portal).
export default defineConfig({
  base: "/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    target: "es2022",
    chunkSizeWarningLimit: 1500, // the map library is its own chunk, loaded only by the pages with a map
  },
});
