import { readFileSync } from "node:fs";

import { getAddress, isAddress } from "ethers";

import { InputError } from "../src/errors.js";
import { RULES_KEY } from "./deploy-guard.js";
import { type AirdropManifest } from "../src/airdrop/format.js";

/** Ignition module parameters: module id → parameter → value (bigints as `bigint`). */
export type ModuleParameters = Record<string, Record<string, unknown>>;

/** The contract modules the `System` module deploys with the deployer as their admin. */
const ADMIN_MODULES = ["GUT", "ProviderRegistry", "LeaseEscrow", "BuybackEmission", "TokenSwap"];

/** The market's durations a parameter file may set; the contracts check their bounds at deployment. */
const SECONDS_PARAMETERS = [
  ["ProviderRegistry", "checkInPeriod"],
  ["ProviderRegistry", "unbondingPeriod"],
  ["LeaseEscrow", "maxQuoteAge"],
  ["LeaseEscrow", "collectWindow"],
  ["LeaseEscrow", "acceptWindow"],
  ["LeaseEscrow", "reservationGrace"],
] as const;

/** How long the claim window stays open on a local chain when the parameters do not say. */
export const LOCAL_CLAIM_WINDOW = 180n * 86_400n;

export interface SystemParameterOptions {
  /** `deploy/parameters/<network>.json`. */
  file: string;
  /** The deploying account. */
  deployer: string;
  /** Local rules (see `deploymentRules`): addresses may default to the deployer, the claim window to now. */
  local: boolean;
  /** The latest block's timestamp. */
  now: bigint;
  /** The airdrop to deploy the distributor for: its root, total and top nodes. */
  airdrop?: Pick<AirdropManifest, "root" | "total" | "topNodes" | "legacy">;
}

/**
 * Ignition's JSON convention: a string like `"86400n"` is a bigint. Nested arrays and objects
 * are converted too.
 */
export function reviveBigints(value: unknown): unknown {
  if (typeof value === "string" && /^[0-9]+n$/.test(value)) return BigInt(value.slice(0, -1));
  if (Array.isArray(value)) return value.map(reviveBigints);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reviveBigints(v)]));
  }
  return value;
}

/** The reverse of {@link reviveBigints}, for writing a parameter file Ignition reads. */
export function encodeBigints(value: unknown): unknown {
  if (typeof value === "bigint") return `${value}n`;
  if (Array.isArray(value)) return value.map(encodeBigints);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encodeBigints(v)]));
  }
  return value;
}

/**
 * The parameters of the `System` module for one network: the network's parameter file, checked,
 * with the airdrop's root, total and top nodes filled in and, on a local chain only, the claim
 * window defaulted to [now, now + 180 days). On a public network every address and the window
 * must be given explicitly: a forgotten `treasury` must not silently become the deployer, a
 * forgotten `System.timelockDelay` must not become no delay.
 * Every problem is an `InputError` naming the file and the `Module.parameter`.
 */
export function systemParameters(options: SystemParameterOptions): ModuleParameters {
  const { file, deployer, local, now, airdrop } = options;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new InputError(file, undefined, undefined, `cannot be read as JSON: ${(error as Error).message}`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new InputError(file, undefined, undefined, "must be an object of modules");
  }
  const params = reviveBigints(raw) as ModuleParameters;
  // The rules' key is read by deploy:system (deploy/deploy-guard.ts), not a module's parameters.
  delete params[RULES_KEY];
  const bad = (field: string, problem: string) => new InputError(file, undefined, field, problem);
  const module = (id: string) => (params[id] ??= {});
  const address = (id: string, name: string, required: boolean): string | undefined => {
    const value = params[id]?.[name];
    if (value === undefined) {
      if (required) throw bad(`${id}.${name}`, "is required");
      return undefined;
    }
    if (typeof value !== "string" || !isAddress(value))
      throw bad(`${id}.${name}`, `${String(value)} is not an address`);
    return getAddress(value);
  };

  for (const id of ADMIN_MODULES) {
    if (params[id]?.admin !== undefined) {
      throw bad(
        `${id}.admin`,
        "must not be set: the System module deploys with the deployer as admin to wire the roles, then hands over to System.admin",
      );
    }
  }
  for (const name of ["admin", "keeper"]) {
    const value = address("System", name, true)!;
    if (value === getAddress(deployer)) {
      throw bad(`System.${name}`, `must not be the deploying account ${value}: the deployer keeps no role`);
    }
  }
  const reserveHolder = address("TFT", "reserveHolder", false);
  if (reserveHolder !== undefined && reserveHolder !== getAddress(deployer)) {
    throw bad("TFT.reserveHolder", "must be the deploying account: it funds the emission's reserve in the deployment");
  }
  const required = !local;
  address("GUT", "treasury", required);
  // Failed reservations' penalties go here: on a public network it must be named, never
  // defaulted to the deploying account.
  address("ProviderRegistry", "treasury", required);
  for (const [id, name] of SECONDS_PARAMETERS) {
    const value = params[id]?.[name];
    if (value !== undefined && typeof value !== "bigint") {
      throw bad(`${id}.${name}`, 'must be seconds as a bigint string like "3600n"');
    }
  }
  address("TFT", "circulatingRecipient", required);
  address("BuybackEmission", "treasury", required);
  address("TokenSwap", "sweepTarget", required);
  if (!local) address("BuybackEmission", "router", true);
  // The timelock's delay is the notice users get of every change of power. A local chain
  // defaults it to 0 (the demo and tests schedule and execute at once); a public network must
  // name it, and a zero delay there would be no notice at all.
  const system = module("System");
  const delay = system.timelockDelay;
  if (delay === undefined) {
    if (!local) throw bad("System.timelockDelay", 'is required on a public network, in seconds like "172800n"');
    system.timelockDelay = 0n;
  } else if (typeof delay !== "bigint") {
    throw bad("System.timelockDelay", 'must be seconds as a bigint string like "172800n"');
  } else if (!local && delay === 0n) {
    throw bad("System.timelockDelay", "must be above 0 on a public network: a zero delay gives users no notice");
  }

  const distributor = module("TokenSwap");
  if (airdrop !== undefined) {
    for (const name of ["merkleRoot", "total", "topNodes"]) {
      if (distributor[name] !== undefined) {
        throw bad(`TokenSwap.${name}`, "is set both here and by the airdrop manifest; keep one");
      }
    }
    distributor.merkleRoot = airdrop.root;
    distributor.total = BigInt(airdrop.total);
    distributor.topNodes = airdrop.topNodes;
    // The old chain's P2PKH version byte the legacy leaves were built with.
    if (airdrop.legacy !== undefined) {
      if (distributor.legacyVersion !== undefined && distributor.legacyVersion !== airdrop.legacy.version) {
        throw bad(
          "TokenSwap.legacyVersion",
          `is ${String(distributor.legacyVersion)}, but the airdrop was built for ${airdrop.legacy.version}`,
        );
      }
      distributor.legacyVersion = airdrop.legacy.version;
    }
  }
  if (distributor.merkleRoot === undefined) {
    throw bad("TokenSwap.merkleRoot", "is required (or give the airdrop directory)");
  }
  if (typeof distributor.total !== "bigint") {
    throw bad("TokenSwap.total", 'is required, as a bigint string like "1000n" (or give the airdrop)');
  }
  for (const name of ["start", "deadline"]) {
    if (distributor[name] !== undefined && typeof distributor[name] !== "bigint") {
      throw bad(`TokenSwap.${name}`, 'must be unix seconds as a bigint string like "1767225600n"');
    }
  }
  if (local) {
    distributor.start ??= now;
    distributor.deadline ??= (distributor.start as bigint) + LOCAL_CLAIM_WINDOW;
  }
  if (distributor.start === undefined) throw bad("TokenSwap.start", "is required on a public network");
  if (distributor.deadline === undefined) throw bad("TokenSwap.deadline", "is required on a public network");
  if ((distributor.deadline as bigint) <= (distributor.start as bigint)) {
    throw bad("TokenSwap.deadline", "must be after start");
  }
  return params;
}
