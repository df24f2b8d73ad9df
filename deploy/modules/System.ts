import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { id } from "ethers";

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
 * The whole market, wired. Every contract is deployed with the deploying account as its default
 * admin (leave the contract modules' `admin` parameters unset), which then:
 *
 * 1. grants the registry's and the emission's ESCROW_ROLE to the escrow (the escrow's fee
 *    collector is the emission contract from its constructor);
 * 2. funds the emission's reserve: as TFT's reserve holder it approves and calls `fundReserve`;
 * 3. funds the airdrop through the `TokenSwap` module (which grants the deployer GUT's
 *    MINTER_ROLE, mints exactly the tree's `total` to the distributor and activates it), then
 *    renounces MINTER_ROLE;
 * 4. gives the operational roles to their holders: KEEPER_ROLE on the emission to `keeper`,
 *    CATALOG_ROLE and AUDITOR_ROLE on the registry and PAUSER_ROLE on the escrow and the
 *    distributor to `admin`, renouncing the distributor's PAUSER_ROLE its constructor gave it;
 * 5. starts the two-step default-admin transfer of all five contracts to `admin`.
 *
 * Afterwards the deployer holds only DEFAULT_ADMIN_ROLE, and only until `admin` (governance)
 * calls `acceptDefaultAdminTransfer()` on each contract once the contract's `adminDelay` has
 * passed. `admin` and `keeper` are required and must differ from the deployer.
 */
function systemModule(emissionModule: typeof BuybackEmissionModule, escrowModule: typeof LeaseEscrowModule) {
  return buildModule("System", (m) => {
    const deployer = m.getAccount(0);
    const admin = m.getParameter<string>("admin");
    const keeper = m.getParameter<string>("keeper");

    const { gut } = m.useModule(GUTModule);
    const { tft } = m.useModule(TFTModule);
    const { registry } = m.useModule(ProviderRegistryModule);
    const { emission } = m.useModule(emissionModule);
    const { escrow } = m.useModule(escrowModule);
    // TokenSwap deploys the distributor, grants the deployer GUT's MINTER_ROLE, mints exactly the
    // tree's total to it and activates it.
    const { distributor } = m.useModule(TokenSwapModule);

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
      m.call(registry, "grantRole", [ROLE.catalog, admin], { id: "Registry_CatalogRole" }),
      m.call(registry, "grantRole", [ROLE.auditor, admin], { id: "Registry_AuditorRole" }),
      m.call(escrow, "grantRole", [ROLE.pauser, admin], { id: "Escrow_PauserRole" }),
      m.call(distributor, "grantRole", [ROLE.pauser, admin], { id: "Distributor_PauserRole" }),
    ];
    const pauserRenounced = m.call(distributor, "renounceRole", [ROLE.pauser, deployer], {
      id: "Distributor_RenouncePauser",
      after: roles,
    });

    const done = [...wiring, funded, renounced, ...roles, pauserRenounced];
    const contracts = { gut, registry, escrow, emission, distributor } as const;
    for (const [name, contract] of Object.entries(contracts)) {
      m.call(contract, "beginDefaultAdminTransfer", [admin], { id: `${name}_BeginAdminTransfer`, after: done });
    }

    return { gut, tft, registry, escrow, emission, distributor };
  });
}

/** The market on a public network: Uniswap V2's Router02 is the `BuybackEmission.router` parameter. */
export default systemModule(BuybackEmissionModule, LeaseEscrowModule);

/** The market on a local network, with Uniswap V2 deployed from the npm builds (see `SystemLocal.ts`). */
export const SystemLocalModule = systemModule(BuybackEmissionLocalModule, LeaseEscrowLocalModule);
