import { formatTable, formatTu, readCatalog } from "../../src/registry.js";
import { contextAction } from "../context.js";

const SOURCE = "catalog:list";

export default contextAction(SOURCE, async (args: { registry: string }, ctx) => {
  const registry = await ctx.registry(args.registry);
  const rows = (await readCatalog(registry)).map((e) => [
    e.model,
    formatTu(e.milliTu),
    e.retired ? "retired" : "active",
  ]);
  console.log(formatTable(["model", "TU", "status"], rows));
});
