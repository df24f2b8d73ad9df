import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import GUTModule from "./GUT.js";

const TWO_DAYS = 2n * 24n * 3600n;

/**
 * The token-swap distributor over an airdrop built by `airdrop:build`: `merkleRoot`, `total` and
 * `topNodes` come from its `manifest.json`; `start` and `deadline` are unix seconds;
 * `legacyMagic` and `legacyVersion` are the old chain's signed-message magic and P2PKH version byte
 * (defaults: "GPUnion Signed Message:\n" and 38, as `manifest.json`'s `legacy.version`). The deploying
 * account must be allowed to grant GUT's MINTER_ROLE (GUT's admin): the module grants it to
 * itself, mints exactly `total` to the distributor and activates it, so a deployment either ends
 * funded and open or fails.
 */
export default buildModule("TokenSwap", (m) => {
  const { gut } = m.useModule(GUTModule);
  const deployer = m.getAccount(0);
  const config = {
    token: gut,
    merkleRoot: m.getParameter<string>("merkleRoot"),
    total: m.getParameter<bigint>("total"),
    start: m.getParameter<bigint>("start"),
    deadline: m.getParameter<bigint>("deadline"),
    sweepTarget: m.getParameter("sweepTarget", deployer),
    topNodes: m.getParameter<string[]>("topNodes", []),
    legacyMagic: m.getParameter<string>("legacyMagic", "GPUnion Signed Message:\n"),
    legacyVersion: m.getParameter<number>("legacyVersion", 38),
  };
  const distributor = m.contract("TokenSwapDistributor", [
    config,
    m.getParameter("adminDelay", TWO_DAYS),
    m.getParameter("admin", deployer),
  ]);
  const minter = m.staticCall(gut, "MINTER_ROLE");
  const grant = m.call(gut, "grantRole", [minter, deployer]);
  const mint = m.call(gut, "mint", [distributor, config.total], { after: [grant] });
  m.call(distributor, "activate", [], { after: [mint] });
  return { gut, distributor };
});
