// The claim page's build. A plugin records every Node built-in the page's import graph reaches
// (the bundler's own resolution, not a text search); ethers and viem go to a chunk of their own so
// the entry chunk's size is what gpufog adds to a dApp.
import { builtinModules } from "node:module";
import { writeFileSync } from "node:fs";

import { defineConfig } from "vite";

const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
const reached = [];

export default defineConfig({
  root: "page",
  base: "./",
  logLevel: "info",
  build: {
    outDir: "../page-dist",
    emptyOutDir: true,
    minify: true,
    rolldownOptions: {
      output: {
        manualChunks(id) {
          if (/[\\/]node_modules[\\/](ethers|viem|@adraffy|abitype|ox)[\\/]/.test(id)) return "vendor-ethers-viem";
          return undefined;
        },
      },
    },
  },
  plugins: [
    {
      name: "no-node-builtins",
      enforce: "pre",
      resolveId(source, importer) {
        if (builtins.has(source) || builtins.has(source.split("/")[0])) reached.push(`${source} (from ${importer})`);
        return null;
      },
      buildEnd() {
        writeFileSync("node-builtins.json", JSON.stringify(reached, null, 2));
      },
    },
  ],
});
