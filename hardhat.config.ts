import { createRequire } from "node:module";

import hardhatToolboxMochaEthersPlugin from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import { configVariable, defineConfig } from "hardhat/config";

import { FUZZ_CAMPAIGNS, fuzzCampaignName } from "./harness/fuzz-report.js";
import { rootHooks } from "./test/helpers/leftovers.js";
import { tasks } from "./tasks/index.js";

const require = createRequire(import.meta.url);

// Hardhat downloads solc by default; these machines have no route to that host, so the
// compiler comes from the `solc` npm package, which ships the same compiler as soljson.js.
const solc = {
  version: "0.8.37",
  path: require.resolve("solc/soljson.js"),
  settings: {
    optimizer: { enabled: true, runs: 10_000 },
    evmVersion: "cancun",
  },
};

// The distributor goes through the IR pipeline: its claim is the one call paid by every holder,
// and the IR optimizer inlines the argument decoding and the calls between its steps (about 300
// gas a claim, and 2 kB less code; docs/airdrop.md, "Where a claim's gas goes"). The other
// contracts keep the legacy pipeline, which compiles them several times faster.
const viaIR = { ...solc, settings: { ...solc.settings, viaIR: true } };
const small = { ...solc, settings: { ...solc.settings, viaIR: true, optimizer: { enabled: true, runs: 200 } } };
const profile = {
  compilers: [solc],
  // A Solidity test compiles what it imports with its own settings. The fuzzing of the proof loop,
  // the kept-level search and the legacy message, the assembly the two pipelines could compile
  // differently, runs on the IR build; the distributor's other Solidity tests compile it with the
  // legacy pipeline (a minute of CI each), and its mocha tests, which cover every line, run on the
  // IR build. The escrow fits the 24,576-byte limit only through the IR pipeline at 200 runs; the
  // Solidity tests deploy it from that build (its artifact) rather than compile it again.
  overrides: {
    ...Object.fromEntries(
      [
        "contracts/TokenSwapDistributor.sol",
        "test/contracts/TokenSwapDistributorProof.t.sol",
        "test/contracts/LegacyMessage.t.sol",
      ].map((file) => [file, viaIR]),
    ),
    "contracts/LeaseEscrow.sol": small,
  },
};

export default defineConfig({
  plugins: [hardhatToolboxMochaEthersPlugin],
  tasks,
  solidity: {
    profiles: {
      default: profile,
      production: profile,
    },
  },
  paths: {
    ignition: "deploy",
    tests: { mocha: "test", solidity: "test" },
  },
  test: {
    solidity: {
      fuzz: { runs: 256 },
      // Hardhat 3.17 always runs the "default" test profile, so the deep campaign is chosen by
      // an environment variable (GPUFOG_FUZZ=deep, see `npm run fuzz:deep`).
      invariant: { ...FUZZ_CAMPAIGNS[fuzzCampaignName()], failOnRevert: false },
      // The system campaign deploys Uniswap's own V2 bytecode from the npm artifacts.
      fsPermissions: {
        readDirectory: ["node_modules/@uniswap/v2-core/build", "node_modules/@uniswap/v2-periphery/build"],
      },
    },
    // The root hooks fail the run when a test leaves a process (a node, an agent) running.
    mocha: { timeout: 120_000, rootHooks },
  },
  typechain: { outDir: "types" },
  // The coverage report (and the gate, scripts/coverage-gate.mjs) counts the production contracts
  // only: not the mocks, not the Solidity tests and their helpers.
  coverage: { skipFiles: ["contracts/mocks/**", "test/**"] },
  // Source verification (hardhat-verify, in the toolbox): `npx hardhat deploy:system --network
  // sepolia --verify`, or `npx hardhat ignition verify chain-11155111`. The key is read from the
  // keystore only when a verification runs.
  verify: {
    etherscan: { apiKey: configVariable("ETHERSCAN_API_KEY") },
  },
  networks: {
    // The OP Stack simulated in-process (L1Block and GasPriceOracle predeploys, receipts with the
    // L1 data fee): the gas and overhead benches measure the L2 here (bench/op.ts).
    opSimulated: {
      type: "edr-simulated",
      chainType: "op",
    },
    localhost: {
      type: "http",
      chainType: "l1",
      // CI picks a free port for its node and names it here; 8545 is `hardhat node`'s default.
      url: process.env.LOCALHOST_RPC_URL ?? "http://127.0.0.1:8545",
    },
    // Any endpoint and key, from configuration variables (the keystore, or the environment
    // variable of the same name): `npx hardhat keystore set CUSTOM_RPC_URL`, then
    // `deploy:system --network custom` with deploy/parameters/custom.json. The variables are read
    // only when the network is used.
    custom: {
      type: "http",
      chainType: "generic",
      url: configVariable("CUSTOM_RPC_URL"),
      accounts: [configVariable("CUSTOM_PRIVATE_KEY")],
    },
    // OP Sepolia, the OP Stack testnet (chain 11155420): the natural home of heartbeats and
    // settlements, frequent small transactions (docs/deployment.md, "An L2").
    opSepolia: {
      type: "http",
      chainType: "op",
      url: configVariable("OP_SEPOLIA_RPC_URL"),
      accounts: [configVariable("OP_SEPOLIA_PRIVATE_KEY")],
    },
    sepolia: {
      type: "http",
      chainType: "l1",
      url: configVariable("SEPOLIA_RPC_URL"),
      accounts: [configVariable("SEPOLIA_PRIVATE_KEY")],
    },
  },
});
