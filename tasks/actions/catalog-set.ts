import { InputError } from "../../src/errors.js";
import { mined } from "../../src/receipts.js";
import { formatTu, modelId, parseTu } from "../../src/registry.js";
import { contextAction } from "../context.js";

const SOURCE = "catalog:set";

export default contextAction(
  SOURCE,
  async (
    args: { registry: string; account: string; model: string; tu: string; retire: boolean; reinstate: boolean },
    ctx,
  ) => {
    const id = modelId(args.model, SOURCE);
    const milliTu = args.tu === "" ? undefined : parseTu(args.tu, SOURCE);
    if (args.retire && args.reinstate)
      throw new InputError(SOURCE, undefined, "retire", "--retire and --reinstate exclude each other");
    if (milliTu === undefined && !args.retire && !args.reinstate) {
      throw new InputError(SOURCE, undefined, "tu", "give --tu, --retire or --reinstate");
    }
    const registry = await ctx.registry(args.registry);
    if (!(await registry.hasRole(await registry.CATALOG_ROLE(), ctx.account))) {
      throw new InputError(SOURCE, undefined, "account", `${ctx.account} does not hold CATALOG_ROLE`);
    }
    if (milliTu !== undefined) {
      const { hash } = await mined(registry.setModel(id, milliTu));
      console.log(`${args.model.trim()} rated ${formatTu(milliTu)} TU (${hash})`);
    }
    if (args.retire || args.reinstate) {
      if ((await registry.gpuModel(id)).milliTu === 0n) {
        throw new InputError(SOURCE, undefined, "model", `"${args.model}" is not in the catalogue`);
      }
      const { hash } = await mined(registry.setModelRetired(id, args.retire));
      console.log(`${args.model.trim()} ${args.retire ? "retired" : "reinstated"} (${hash})`);
    }
  },
);
