import { network } from "hardhat";

import TokensModule from "../deploy/modules/Tokens.js";
import { formatToken } from "../src/format.js";
import { GUT__factory, TFT__factory } from "../types/index.js";

const { ethers, ignition } = await network.create();
const [deployer] = await ethers.getSigners();
if (deployer === undefined) throw new Error("the simulated network has no accounts");

console.log("gpufog demo: deploying the tokens on the in-process network\n");
const deployed = await ignition.deploy(TokensModule);
const gut = GUT__factory.connect(await deployed.gut.getAddress(), deployer);
const tft = TFT__factory.connect(await deployed.tft.getAddress(), deployer);

const rows: [string, string][] = [
  ["GUT address", await gut.getAddress()],
  ["GUT cap", formatToken(await gut.CAP(), "GUT")],
  ["GUT premine (to treasury)", formatToken(await gut.balanceOf(await gut.treasury()), "GUT")],
  ["GUT total supply", formatToken(await gut.totalSupply(), "GUT")],
  ["GUT left to mint", formatToken(await gut.mintable(), "GUT")],
  ["TFT address", await tft.getAddress()],
  ["TFT total supply", formatToken(await tft.totalSupply(), "TFT")],
  ["TFT circulating allocation", formatToken(await tft.circulatingAllocation(), "TFT")],
  ["TFT production-mining reserve", formatToken(await tft.reserveAllocation(), "TFT")],
  ["TFT supply floor", formatToken(await tft.SUPPLY_FLOOR(), "TFT")],
  ["TFT burnable before the floor", formatToken(await tft.burnable(), "TFT")],
];
const width = Math.max(...rows.map(([label]) => label.length));
for (const [label, value] of rows) console.log(`  ${label.padEnd(width)}  ${value}`);
