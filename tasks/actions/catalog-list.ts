import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { formatTable, formatTu, readCatalog } from "../../src/registry.js";
import { cli } from "../cli.js";
import { registryContext } from "../registry-context.js";

export default async function catalogList(args: { registry: string }, hre: HardhatRuntimeEnvironment): Promise<void> {
  await cli(async () => {
    const { registry } = await registryContext(hre, args, "catalog:list");
    const rows = (await readCatalog(registry)).map((e) => [
      e.model,
      formatTu(e.milliTu),
      e.retired ? "retired" : "active",
    ]);
    console.log(formatTable(["model", "TU", "status"], rows));
  });
}
