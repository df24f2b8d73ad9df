// The app's build. `gpufog` is linked from the repository root (`file:..`), so its own imports
// resolve from the root's node_modules: ethers (its peer) and React are deduped to the app's copy,
// so the bundle has one of each. Its @noble 2.x stays its own (viem brings 1.x, other subpaths).
// `base: "./"` lets the build be served from any path, beside its config.json.
import { defineConfig } from "vite";

export default defineConfig({
  base: "./",
  resolve: { dedupe: ["ethers", "react", "react-dom"] },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // The size that matters is the gzip of the first load, which e2e/size.mjs prints and checks.
    chunkSizeWarningLimit: 1024,
    rolldownOptions: {
      // react-query marks its hooks "use client" for server components; a client-only bundle has
      // nothing to preserve, so the warning is noise.
      onLog(level, log, handler) {
        if (log.code !== "MODULE_LEVEL_DIRECTIVE") handler(level, log);
      },
    },
  },
});
