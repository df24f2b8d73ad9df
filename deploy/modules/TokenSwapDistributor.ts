import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import GUTModule from "./GUT.js";

const TWO_DAYS = 2n * 24n * 3600n;

/**
 * The token-swap distributor for one airdrop tree. `merkleRoot`, `total` and `topNodes` come from
 * the `manifest.json` that `airdrop:build` writes (`deploy:system --airdrop <dir>` fills them in);
 * `start` and `deadline` are unix seconds; `sweepTarget` receives what is left after the deadline
 * (the zero address burns it). Funding (minting exactly `total` GUT to it) is the `System`
 * module's job.
 */
export default buildModule("TokenSwapDistributor", (m) => {
  const { gut } = m.useModule(GUTModule);
  const distributor = m.contract("TokenSwapDistributor", [
    {
      token: gut,
      merkleRoot: m.getParameter<string>("merkleRoot"),
      total: m.getParameter<bigint>("total"),
      start: m.getParameter<bigint>("start"),
      deadline: m.getParameter<bigint>("deadline"),
      sweepTarget: m.getParameter("sweepTarget", m.getAccount(0)),
      topNodes: m.getParameter<string[]>("topNodes", []),
    },
    m.getParameter("adminDelay", TWO_DAYS),
    m.getParameter("admin", m.getAccount(0)),
  ]);
  return { distributor, gut };
});
