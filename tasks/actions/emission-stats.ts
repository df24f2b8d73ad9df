import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { phaseName } from "../../src/emission/model.js";
import { connectEmission, readEmissionStats } from "../../src/emission/client.js";
import { formatToken } from "../../src/format.js";
import { addressOption } from "../address-book.js";
import { cli } from "../cli.js";

export default async function stats(args: { emission: string }, hre: HardhatRuntimeEnvironment): Promise<void> {
  await cli(async () => {
    const connection = await hre.network.getOrCreate();
    const { ethers } = connection;
    const [signer] = await ethers.getSigners();
    const s = await readEmissionStats(
      await connectEmission(
        "emission:stats",
        await addressOption(args.emission, "emission", connection, "emission:stats", "emission"),
        signer!,
      ),
    );
    const t = (x: bigint) => formatToken(x, "TFT");
    const rows: [string, string][] = [
      ["phase", phaseName(s.phase)],
      ["reserve left", t(s.reserveLeft)],
      ["burned (by this contract)", t(s.totalBurned)],
      ["released from the reserve", t(s.totalReleased)],
      ["released from buybacks", t(s.totalDistributed)],
      ["bought back", t(s.totalBoughtBack)],
      ["total supply", t(s.totalSupply)],
      ["distance to the floor", t(s.floorDistance)],
      ["largest circulating supply reachable", t(s.maxCirculatingSupply)],
      ["TFT fees waiting", t(s.pendingTftFees)],
      ["miner rewards unclaimed", t(s.minerRewardsUnclaimed)],
      ["carried over (no points yet)", t(s.carriedOver)],
      ["current epoch", String(s.currentEpoch)],
      [`pool of epoch ${s.pendingPool.rewardEpoch} (claimable next)`, t(s.pendingPool.amount)],
      ["buyback volume to end phase one", t(s.toPhaseOneEnd)],
      ["buyback volume to the floor", t(s.toFloor)],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
  });
}
