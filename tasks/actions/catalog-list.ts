import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { formatTable, formatTu, readCatalog } from "../../src/registry.js";
import { cli } from "../cli.js";
import { taskContext } from "../context.js";

const SOURCE = "catalog:list";

export default async function catalogList(args: { registry: string }, hre: HardhatRuntimeEnvironment): Promise<void> {
  await cli(
    async () => {
      const registry = await (await taskContext(hre, SOURCE)).registry(args.registry);
      const rows = (await readCatalog(registry)).map((e) => [
        e.model,
        formatTu(e.milliTu),
        e.retired ? "retired" : "active",
      ]);
      console.log(formatTable(["model", "TU", "status"], rows));
    },
    { source: SOURCE, hre },
  );
}
