import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

import { expect } from "chai";
import { network } from "hardhat";

import type { Signer } from "ethers";

import { deployLocalSystem } from "../../deploy/local.js";
import { writeAddressBook } from "../../src/deployments-fs.js";
import { writeAirdrop } from "../../src/airdrop/directory.js";
import { buildTree } from "../../src/airdrop/merkle/tree.js";
import { LeafKind } from "../../src/airdrop/merkle/proof.js";
import { registerNode } from "../../src/registry.js";

const connection = await network.create();
const { ethers } = connection;

/** The part of `scripts/examples/dapp.ts` the test calls; imported at run time, after the build. */
interface Dapp {
  runDapp(options: {
    signer: Signer;
    airdropDir: string;
    dir: string;
    quoteSigner: (provider: string) => Promise<Signer>;
    log: (line: string) => void;
  }): Promise<{
    nodes: number;
    registeredSinceDeployment: number;
    claimed: bigint;
    leaseId: bigint;
    nodeId: bigint;
  }>;
}

describe("example dApp (scripts/examples/dapp.ts)", function () {
  before(function () {
    // The example imports the package by name (`gpufog`, `gpufog/deployments`, …), which resolves
    // through package.json `exports` to dist/: build it as `npm run build` does (the contracts are
    // already compiled for the tests).
    this.timeout(300_000);
    execFileSync("npx", ["hardhat", "run", "--no-compile", "scripts/export-abi.ts"], { stdio: "ignore" });
    execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" });
  });

  it("lists nodes, claims an airdrop and opens a lease from the package exports alone", async function () {
    const [, , , provider, user, other] = await ethers.getSigners();
    const tree = await buildTree([
      { kind: LeafKind.Evm, holder: other!.address, amount: 10n ** 18n },
      { kind: LeafKind.Evm, holder: user!.address, amount: 30n * 10n ** 18n },
    ]);
    const work = mkdtempSync(path.join(tmpdir(), "gpufog-dapp-"));
    const airdropDir = path.join(work, "airdrop");
    const manifest = writeAirdrop(tree, airdropDir);
    const { contracts, book } = await deployLocalSystem(connection, manifest);
    writeAddressBook(book, work);

    await (await contracts.gut.transfer(provider!.address, 10_000n * 10n ** 18n)).wait();
    const gut = await contracts.gut.getAddress();
    const node = (price: string, gpus: bigint, model: string) =>
      registerNode(
        contracts.registry,
        provider!,
        { model, gpuCount: gpus, pricePerTuHour: ethers.parseUnits(price, 18), paymentToken: gut, uri: "" },
        "test",
      );
    await node("2.0", 8n, "V100");
    const { nodeId: cheapest } = await node("0.5", 1n, "GTX 1080 Ti");

    const { runDapp } = (await import(pathToFileURL(path.resolve("scripts/examples/dapp.ts")).href)) as Dapp;
    const lines: string[] = [];
    const nonce = await ethers.provider.getTransactionCount(user!.address);
    const result = await runDapp({
      signer: user!,
      airdropDir,
      dir: work,
      quoteSigner: async () => provider!,
      log: (line) => lines.push(line),
    });
    // The claim and the lease: the deposit is permitted inside the lease's transaction.
    expect(await ethers.provider.getTransactionCount(user!.address)).to.equal(nonce + 2);

    expect(result.nodes).to.equal(2);
    expect(result.registeredSinceDeployment).to.equal(2);
    expect(result.claimed).to.equal(30n * 10n ** 18n);
    expect(result.nodeId).to.equal(cheapest);
    const lease = await contracts.escrow.lease(result.leaseId);
    expect(lease.customer).to.equal(user!.address);
    expect(lease.deposit).to.equal(5n * 10n ** 18n);
    expect(await contracts.gut.balanceOf(user!.address)).to.equal(25n * 10n ** 18n);
    expect(lines.join("\n")).to.contain("GTX 1080 Ti").and.contain(`lease ${result.leaseId} on node ${cheapest}`);
  });
});
