import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { id, ZeroAddress } from "ethers";

import BuybackEmissionModule, { BuybackEmissionLocalModule } from "./BuybackEmission.js";
import GUTModule from "./GUT.js";
import LeaseEscrowModule, { LeaseEscrowLocalModule } from "./LeaseEscrow.js";
import ProviderRegistryModule from "./ProviderRegistry.js";
import TFTModule from "./TFT.js";
import TokenSwapModule from "./TokenSwap.js";

const ROLE = {
  minter: id("MINTER_ROLE"),
  escrow: id("ESCROW_ROLE"),
  keeper: id("KEEPER_ROLE"),
  catalog: id("CATALOG_ROLE"),
  auditor: id("AUDITOR_ROLE"),
  pauser: id("PAUSER_ROLE"),
};

/**
 * The whole market, wired, with governance behind an OpenZeppelin `TimelockController`. Every
 * contract is deployed with the deploying account as its default admin (leave the contract
 * modules' `admin` parameters unset), which then:
 *
 * 1. deploys the timelock: `minDelay` is the `timelockDelay` parameter (0 on local networks, days
 *    on public ones), `admin` (the governance multisig) is its only proposer, canceller and
 *    executor, and it has no admin of its own: only an operation through its own delay changes
 *    its roles or its delay;
 * 2. grants the registry's and the emission's ESCROW_ROLE to the escrow (the escrow's fee
 *    collector is the emission contract from its constructor);
 * 3. funds the emission's reserve: as TFT's reserve holder it approves and calls `fundReserve`;
 * 4. funds the airdrop through the `TokenSwap` module (which grants the deployer GUT's
 *    MINTER_ROLE, mints exactly the tree's `total` to the distributor and activates it), then
 *    renounces MINTER_ROLE;
 * 5. gives each role to its holder. Governance powers (parameters, catalogue, roles, pause) sit
 *    behind the delay: CATALOG_ROLE on the registry and PAUSER_ROLE on the escrow and the
 *    distributor go to the timelock. Operational roles that move no funds and change no rule go
 *    straight to their holders: KEEPER_ROLE on the emission to `keeper` (its buybacks are bounded
 *    by the TWAP guard), AUDITOR_ROLE on the registry to `admin` (a verified flag only). The
 *    deployer renounces the distributor's PAUSER_ROLE its constructor gave it;
 * 6. starts the two-step default-admin transfer of all five contracts to the timelock.
 *
 * Afterwards the deployer holds only DEFAULT_ADMIN_ROLE, and only until the timelock accepts:
 * governance's first operation, a batch of `acceptDefaultAdminTransfer()` on the five contracts
 * that `admin` schedules on the timelock and executes once both the timelock's delay and each
 * contract's `adminDelay` have passed (see `src/governance.ts` and docs/deployment.md). From then
 * on every admin power is a public, delayed timelock operation. `admin` and `keeper` are required
 * and must differ from the deployer.
 */
function systemModule(emissionModule: typeof BuybackEmissionModule, escrowModule: typeof LeaseEscrowModule) {
  return buildModule("System", (m) => {
    const deployer = m.getAccount(0);
    const admin = m.getParameter<string>("admin");
    const keeper = m.getParameter<string>("keeper");
    // No default: a forgotten delay must not silently become "no notice" on a public network
    // (`systemParameters` fills 0 on local chains only).
    const timelockDelay = m.getParameter<bigint>("timelockDelay");

    const { gut } = m.useModule(GUTModule);
    const { tft } = m.useModule(TFTModule);
    const { registry } = m.useModule(ProviderRegistryModule);
    const { emission } = m.useModule(emissionModule);
    const { escrow } = m.useModule(escrowModule);
    // TokenSwap deploys the distributor, grants the deployer GUT's MINTER_ROLE, mints exactly the
    // tree's total to it and activates it.
    const { distributor } = m.useModule(TokenSwapModule);

    // The multisig proposes (and so may cancel) and executes; admin address(0) leaves the
    // timelock administered only by itself, so nobody can shorten the delay without notice.
    const timelock = m.contract("GovernanceTimelock", [timelockDelay, [admin], [admin], ZeroAddress]);

    const wiring = [
      m.call(registry, "grantRole", [ROLE.escrow, escrow], { id: "Registry_EscrowRole" }),
      m.call(emission, "grantRole", [ROLE.escrow, escrow], { id: "Emission_EscrowRole" }),
    ];

    const reserve = m.staticCall(tft, "reserveAllocation");
    const approval = m.call(tft, "approve", [emission, reserve], { id: "TFT_ApproveReserve" });
    const funded = m.call(emission, "fundReserve", [], { id: "Emission_FundReserve", after: [approval] });

    const renounced = m.call(gut, "renounceRole", [ROLE.minter, deployer], {
      id: "GUT_RenounceMinter",
      after: [TokenSwapModule],
    });

    const roles = [
      m.call(emission, "grantRole", [ROLE.keeper, keeper], { id: "Emission_KeeperRole" }),
      m.call(registry, "grantRole", [ROLE.catalog, timelock], { id: "Registry_CatalogRole" }),
      m.call(registry, "grantRole", [ROLE.auditor, admin], { id: "Registry_AuditorRole" }),
      m.call(escrow, "grantRole", [ROLE.pauser, timelock], { id: "Escrow_PauserRole" }),
      m.call(distributor, "grantRole", [ROLE.pauser, timelock], { id: "Distributor_PauserRole" }),
    ];
    const pauserRenounced = m.call(distributor, "renounceRole", [ROLE.pauser, deployer], {
      id: "Distributor_RenouncePauser",
      after: roles,
    });

    const done = [...wiring, funded, renounced, ...roles, pauserRenounced];
    const contracts = { gut, registry, escrow, emission, distributor } as const;
    for (const [name, contract] of Object.entries(contracts)) {
      m.call(contract, "beginDefaultAdminTransfer", [timelock], { id: `${name}_BeginAdminTransfer`, after: done });
    }

    return { gut, tft, registry, escrow, emission, distributor, timelock };
  });
}

/** The market on a public network: Uniswap V2's Router02 is the `BuybackEmission.router` parameter. */
export default systemModule(BuybackEmissionModule, LeaseEscrowModule);

/** The market on a local network, with Uniswap V2 deployed from the npm builds (see `SystemLocal.ts`). */
export const SystemLocalModule = systemModule(BuybackEmissionLocalModule, LeaseEscrowLocalModule);
