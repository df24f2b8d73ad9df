import {
  type ContractRunner,
  type Signer,
  decodeBytes32String,
  encodeBytes32String,
  formatUnits,
  parseUnits,
  toUtf8Bytes,
} from "ethers";

import { ProviderRegistry__factory } from "../types/factories/ProviderRegistry__factory.js";
import type { ProviderRegistry } from "../types/ProviderRegistry.js";
import type { IProviderRegistry } from "../types/ProviderRegistry.js";
import { contractAddress } from "./connect.js";
import { balanceOf, ensureAllowance, ERC20_ABI, preparePayment, tokenLabel, type TokenInfo } from "./erc20.js";
import { InputError } from "./errors.js";
import { formatToken } from "./format.js";
import { type Source } from "./parse.js";
import { mined, receiptEvent, receiptEvents } from "./receipts.js";
import { dryRun } from "./revert.js";

/** The registry's `Status` enum, by value. `None` means the node does not exist. */
export const NODE_STATUSES = ["None", "Idle", "Sharing", "Reserved", "Disconnect"] as const;
export type NodeStatus = (typeof NODE_STATUSES)[number];

/** A node as a dApp shows it: `IProviderRegistry.NodeInfo` with names instead of enum values. */
export interface NodeView {
  id: bigint;
  provider: string;
  status: NodeStatus;
  engaged: boolean;
  verified: boolean;
  /** The node's last check-in (or registration); an Idle or Reserved node older than `checkInPeriod` is stale. */
  lastCheckIn: bigint;
  /** When the node went Disconnect (zero if it never did). */
  downSince: bigint;
  milliTu: bigint;
  gpuCount: bigint;
  model: string;
  modelId: string;
  paymentToken: string;
  pricePerTuHour: bigint;
  stake: bigint;
  /** The stake the node needs to take a new lease or reservation. */
  requiredStake: bigint;
  unbondingEnds: bigint;
  uri: string;
}

export interface CatalogEntry {
  model: string;
  modelId: string;
  milliTu: bigint;
  retired: boolean;
}

/** The name of a node status as the registry returns it. */
export function statusName(value: bigint | number): NodeStatus {
  const name = NODE_STATUSES[Number(value)];
  if (name === undefined) throw new Error(`unknown node status ${value}`);
  return name;
}

/** A status by name, case-insensitive ("idle", "Disconnect"), as the registry's enum value. */
export function parseStatus(text: string, source: Source, field = "status"): number {
  const index = NODE_STATUSES.findIndex((s) => s.toLowerCase() === text.trim().toLowerCase());
  if (index < 0) throw new InputError(source, undefined, field, `"${text}" is not one of ${NODE_STATUSES.join(", ")}`);
  return index;
}

/**
 * The catalogue id of a GPU model: its name as UTF-8, right-padded to 32 bytes (ethers'
 * `encodeBytes32String`), so the id reads back as the name on-chain and off.
 */
export function modelId(name: string, source: Source, field = "model"): string {
  const trimmed = name.trim();
  if (trimmed === "") throw new InputError(source, undefined, field, "the model name is empty");
  const length = toUtf8Bytes(trimmed).length;
  if (length > 31) throw new InputError(source, undefined, field, `"${trimmed}" is ${length} bytes; at most 31 fit`);
  return encodeBytes32String(trimmed);
}

/** The name in a catalogue id, or the id itself if it is not a padded UTF-8 string. */
export function modelName(id: string): string {
  try {
    return decodeBytes32String(id);
  } catch {
    return id;
  }
}

/** Milli-TU as a decimal TU figure: 1350n → "1.35". */
export function formatTu(milliTu: bigint): string {
  const text = formatUnits(milliTu, 3);
  return text.endsWith(".0") ? text.slice(0, -2) : text;
}

/** A TU figure with at most three decimals ("1.35") as milli-TU. */
export function parseTu(text: string, source: Source, field = "tu"): bigint {
  if (!/^\d+(\.\d{1,3})?$/.test(text.trim())) {
    throw new InputError(source, undefined, field, `"${text}" is not a TU figure with at most 3 decimals`);
  }
  const milliTu = parseUnits(text.trim(), 3);
  if (milliTu === 0n) throw new InputError(source, undefined, field, "the rating must be above 0");
  return milliTu;
}

/** The registry at `address`, after checking that a contract lives there. */
export async function connectRegistry(
  address: string,
  runner: ContractRunner,
  source: Source = "registry",
): Promise<ProviderRegistry> {
  return ProviderRegistry__factory.connect(await contractAddress(address, runner, source, "registry"), runner);
}

export function toNodeView(info: IProviderRegistry.NodeInfoStructOutput): NodeView {
  return {
    id: info.id,
    provider: info.provider,
    status: statusName(info.status),
    engaged: info.engaged,
    verified: info.verified,
    lastCheckIn: info.lastCheckIn,
    downSince: info.downSince,
    milliTu: info.milliTu,
    gpuCount: info.gpuCount,
    model: modelName(info.model),
    modelId: info.model,
    paymentToken: info.paymentToken,
    pricePerTuHour: info.pricePerTuHour,
    stake: info.stake,
    requiredStake: info.requiredStake,
    unbondingEnds: info.unbondingEnds,
    uri: info.uri,
  };
}

export async function readCatalog(registry: ProviderRegistry): Promise<CatalogEntry[]> {
  const [ids, entries] = await registry.catalog();
  return ids.map((id, i) => ({
    model: modelName(id),
    modelId: id,
    milliTu: entries[i]!.milliTu,
    retired: entries[i]!.retired,
  }));
}

/**
 * Every node, or those in one status, or those of one provider, read page by page with
 * `eth_call`s so no single call scans more than `pageSize` ids.
 */
export async function listNodes(
  registry: ProviderRegistry,
  filter: { status?: number; provider?: string; pageSize?: bigint } = {},
): Promise<NodeView[]> {
  const pageSize = filter.pageSize ?? 200n;
  const out: NodeView[] = [];
  if (filter.provider !== undefined) {
    for (let offset = 0n; ; offset += pageSize) {
      const [page, total] = await registry.nodesOf(filter.provider, offset, pageSize);
      out.push(...page.map(toNodeView));
      if (offset + pageSize >= total) break;
    }
    return filter.status === undefined ? out : out.filter((n) => n.status === NODE_STATUSES[filter.status!]);
  }
  if (filter.status !== undefined) {
    let cursor = 0n;
    do {
      const [page, next] = await registry.nodesByStatus(filter.status, cursor, pageSize);
      out.push(...page.map(toNodeView));
      cursor = next;
    } while (cursor !== 0n);
    return out;
  }
  const count = await registry.nodeCount();
  for (let offset = 0n; offset < count; offset += pageSize) {
    out.push(...(await registry.nodes(offset, pageSize)).map(toNodeView));
  }
  return out;
}

export interface RegisterParams {
  model: string;
  gpuCount: bigint;
  pricePerTuHour: bigint;
  paymentToken: string;
  uri: string;
}

/**
 * Registers a node: checks the model, the GUT balance and the registry's other terms first, so
 * the provider gets a clear message and no approval is left behind, approves exactly the missing
 * allowance, then registers.
 */
export async function registerNode(
  registry: ProviderRegistry,
  provider: Signer,
  params: RegisterParams,
  source: Source,
): Promise<{ nodeId: bigint; stake: bigint; hash: string }> {
  const id = modelId(params.model, source);
  const entry = await registry.gpuModel(id);
  if (entry.milliTu === 0n) {
    const known = (await readCatalog(registry)).filter((e) => !e.retired).map((e) => e.model);
    throw new InputError(source, undefined, "model", `"${params.model}" is not in the catalogue (${known.join(", ")})`);
  }
  if (entry.retired) throw new InputError(source, undefined, "model", `"${params.model}" is retired`);
  const stake = await registry.requiredStake(id, params.gpuCount);
  const owner = await provider.getAddress();
  const registryAddress = await registry.getAddress();
  const gut = await registry.gut();
  const balance = await balanceOf(gut, owner, provider);
  if (balance < stake) {
    const { symbol, decimals } = await tokenLabel(gut, provider);
    throw new InputError(
      source,
      undefined,
      "stake",
      `the node needs ${formatToken(stake, symbol, decimals)} staked; ${owner} holds ${formatToken(balance, symbol, decimals)}`,
    );
  }
  const args = [id, params.gpuCount, params.pricePerTuHour, params.paymentToken, params.uri] as const;
  // Before the approval, the registration must fail only for the allowance: terms the registry
  // refuses (price, URI, token) fail here, with nothing sent.
  await dryRun([registry.interface, ERC20_ABI], "ERC20InsufficientAllowance", () =>
    registry.connect(provider).register.staticCall(...args),
  );
  await ensureAllowance(gut, provider, registryAddress, stake);
  const receipt = await mined(registry.connect(provider).register(...args));
  const nodeId = receiptEvent(registry, receipt, "NodeRegistered").args.nodeId as bigint;
  return { nodeId, stake, hash: receipt.hash };
}

/** Rows for a node table: id, status, model, GPUs, TU, price, provider, check-in age, flags. */
export function nodeRows(nodes: NodeView[], now: bigint, tokens: Map<string, TokenInfo>): string[][] {
  return nodes.map((n) => {
    const token = tokens.get(n.paymentToken) ?? { symbol: "?", decimals: 18 };
    const flags = [
      n.engaged ? "engaged" : "",
      n.verified ? "verified" : "",
      n.stake < n.requiredStake && n.status !== "None" ? "understaked" : "",
    ]
      .filter((f) => f !== "")
      .join(",");
    return [
      n.id.toString(),
      n.status,
      n.model,
      n.gpuCount.toString(),
      formatTu(n.milliTu),
      `${formatUnits(n.pricePerTuHour, token.decimals)} ${token.symbol}`,
      n.provider,
      n.status === "None" ? "-" : `${now - n.lastCheckIn}s`,
      flags,
    ];
  });
}

export const NODE_TABLE_HEADER = ["id", "status", "model", "GPUs", "TU", "price/TU-h", "provider", "check-in", "flags"];

/** Rows as an aligned text table with a header rule. */
export function formatTable(header: string[], rows: string[][]): string {
  const cells = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

/** How many nodes one `checkIn` transaction takes, so its gas stays bounded. */
export const CHECK_IN_BATCH = 64;

/**
 * Checks in nodes of one provider (the signer is the provider or its operator), `batch` nodes per
 * transaction: an Idle or Reserved node's check-in keeps it from going stale, and a Disconnect node
 * the escrow does not hold comes back to Idle. Every batch is dry-run before it is sent, so a node
 * the registry refuses fails with its own error (`NotNodeOperator`, `InvalidStatus`) and nothing of
 * that batch is sent. Returns the hashes of the transactions, and the nodes the registry skipped
 * (`CheckInSkipped`: a late check-in of a node the escrow holds).
 */
export async function checkIn(
  registry: ProviderRegistry,
  signer: Signer,
  nodeIds: readonly bigint[],
  opts: { batch?: number } = {},
): Promise<{ hashes: string[]; skipped: bigint[] }> {
  const batch = opts.batch ?? CHECK_IN_BATCH;
  const r = registry.connect(signer);
  const hashes: string[] = [];
  const skipped: bigint[] = [];
  for (let i = 0; i < nodeIds.length; i += batch) {
    const some = nodeIds.slice(i, i + batch);
    await r.checkIn.staticCall(some);
    const receipt = await mined(r.checkIn(some));
    hashes.push(receipt.hash);
    for (const e of receiptEvents(registry, receipt, "CheckInSkipped")) skipped.push(e.args.nodeId as bigint);
  }
  return { hashes, skipped };
}

/**
 * Adds stake to a node (anyone may; a node below its `requiredStake` takes no new lease or
 * reservation), approving exactly the missing GUT allowance after checking the balance.
 */
export async function addStake(
  registry: ProviderRegistry,
  signer: Signer,
  nodeId: bigint,
  amount: bigint,
  source: Source = "addStake",
): Promise<string> {
  const gut = await registry.gut();
  await dryRun([registry.interface, ERC20_ABI], "ERC20InsufficientAllowance", () =>
    registry.connect(signer).addStake.staticCall(nodeId, amount),
  );
  await preparePayment(gut, signer, await registry.getAddress(), amount, source, "amount");
  return (await mined(registry.connect(signer).addStake(nodeId, amount))).hash;
}

/** Withdraws a deregistered node's stake after unbonding to `to` (the provider only). */
export async function withdrawStake(
  registry: ProviderRegistry,
  signer: Signer,
  nodeId: bigint,
  to: string,
): Promise<{ amount: bigint; hash: string }> {
  const r = registry.connect(signer);
  await r.withdrawStake.staticCall(nodeId, to);
  const receipt = await mined(r.withdrawStake(nodeId, to));
  return { amount: receiptEvent(registry, receipt, "StakeWithdrawn").args.amount as bigint, hash: receipt.hash };
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
