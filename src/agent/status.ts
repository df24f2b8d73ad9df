// `gpufog status`: what an operator checks first. For a provider: its operator, nodes and when
// their check-in is due, open and closing leases with their best receipts and collect deadlines,
// reservations starting, earnings and fees due by token, rewards, and the agent's transaction in
// flight; for a keeper: the queue of jobs its next round would run. Read-only, and without the keystore's password.
import { existsSync, readFileSync } from "node:fs";

import { formatUnits, getAddress, type Provider } from "ethers";

import { getContracts } from "../deployments.js";
import { providerBuckets } from "../emission/client.js";
import { InputError } from "../errors.js";
import { tokenLabel, type TokenInfo } from "../erc20.js";
import { formatSpan } from "../format.js";
import { formatTable, listNodes, NODE_TABLE_HEADER, nodeRows } from "../registry.js";
import type { KeeperConfig, ProviderConfig } from "./config.js";
import { Keeper } from "./keeper.js";
import { Metrics } from "./metrics.js";
import { connect, ethText, readBook } from "./runtime.js";
import { loadState, type AgentState } from "./state.js";
import { WorkList } from "./worklist.js";

/** The address in a keystore file, which the format keeps in clear. */
export function keystoreAddress(config: Pick<ProviderConfig, "file" | "keystore">): string {
  try {
    const json = JSON.parse(readFileSync(config.keystore, "utf8")) as { address?: string };
    return getAddress(json.address!.startsWith("0x") ? json.address! : `0x${json.address}`);
  } catch {
    throw new InputError(config.file, undefined, "keystore", `${config.keystore} is not a keystore with an address`);
  }
}

function stateOf(
  config: ProviderConfig | KeeperConfig,
  chainId: number,
  account: string,
  block: number,
): AgentState | undefined {
  return existsSync(config.stateFile) ? loadState(config.stateFile, config.kind, chainId, account, block) : undefined;
}

async function labels(provider: Provider, tokens: Iterable<string>): Promise<Map<string, TokenInfo>> {
  const out = new Map<string, TokenInfo>();
  for (const t of tokens) if (!out.has(t)) out.set(t, await tokenLabel(t, provider));
  return out;
}

/** A chain time relative to `now`, in words: "in 4 h 17 min", "25 min ago", "now". */
function span(t: bigint, now: bigint): string {
  return t === now ? "now" : t > now ? `in ${formatSpan(t - now)}` : `${formatSpan(now - t)} ago`;
}

/** The provider's status as text. */
export async function providerStatus(config: ProviderConfig): Promise<string> {
  const book = readBook(config);
  const metrics = new Metrics();
  const provider = connect(config, book, metrics);
  try {
    const key = keystoreAddress(config);
    const owner = config.provider ?? key;
    const contracts = getContracts(book, provider);
    const { registry, escrow, emission } = contracts;
    const latest = (await provider.getBlock("latest"))!;
    const now = BigInt(latest.timestamp);
    const saved = stateOf(config, book.chainId, key, book.block - 1);
    // Without a state file, the work list is built from the deployment on (read-only).
    const state = saved ?? loadState("", "provider", book.chainId, key, book.block - 1);
    const nodes = (await listNodes(registry, { provider: owner })).filter(
      (n) => n.status !== "None" && (config.nodes === undefined || config.nodes.includes(n.id)),
    );
    await new WorkList(
      { contracts, provider, state, config, signal: new AbortController().signal },
      { provider: owner, nodes: new Set(nodes.map((n) => n.id)) },
    ).read(latest.number);
    const leases = Object.entries(state.leases);
    const tokenSet = new Set([...nodes.map((n) => n.paymentToken), ...leases.map(([, l]) => l.token)]);
    const tokens = await labels(provider, [...tokenSet, await emission.tft()]);
    const fmt = (amount: bigint, token: string) => {
      const t = tokens.get(token)!;
      return `${formatUnits(amount, t.decimals)} ${t.symbol}`;
    };
    const operator = await registry.operatorOf(owner);
    const period = await registry.checkInPeriod();
    const margin = config.checkInMarginSeconds ?? period / 2n;
    const checked = nodes.filter((n) => n.status === "Idle" || n.status === "Reserved");
    const nextCheckIn = checked.reduce<bigint | undefined>((min, n) => {
      const due = n.lastCheckIn + period - margin;
      return min === undefined || due < min ? due : min;
    }, undefined);
    const lines = [
      `provider ${owner} on chain ${book.chainId}, block ${latest.number}`,
      `agent key ${key}${key === owner ? " (the provider's own key)" : operator === key ? " (the provider's operator)" : ` — NOT the provider's operator (${operator})`}, balance ${ethText(await provider.getBalance(key))}`,
      `check-in period ${formatSpan(period)}; ${nextCheckIn === undefined ? "no check-in needed (no Idle or Reserved node)" : nextCheckIn <= now ? "check-in due now" : `check-in due in ${formatSpan(nextCheckIn - now)}`}`,
      "",
      nodes.length === 0
        ? "no nodes"
        : formatTable(
            NODE_TABLE_HEADER,
            // The check-in column as "4 h 17 min ago", not seconds.
            nodeRows(nodes, now, tokens).map((row, i) =>
              row.map((cell, c) =>
                NODE_TABLE_HEADER[c] === "check-in" && nodes[i]!.status !== "None"
                  ? `${formatSpan(now - nodes[i]!.lastCheckIn)} ago`
                  : cell,
              ),
            ),
          ),
      "",
    ];
    const closing = leases.filter(([, l]) => l.collectDeadline !== 0);
    lines.push(`${leases.length - closing.length} open lease(s), ${closing.length} closing`);
    if (leases.length > 0) {
      lines.push(
        formatTable(
          ["lease", "node", "status", "customer", "deposit", "collected", "best receipt to", "collect by"],
          leases.map(([id, l]) => {
            const best = state.receipts[id];
            return [
              id,
              l.nodeId,
              l.collectDeadline === 0 ? "Open" : "Closing",
              l.customer,
              fmt(BigInt(l.deposit), l.token),
              fmt(BigInt(l.paid), l.token),
              best === undefined ? "-" : span(BigInt(best.until), now),
              l.collectDeadline === 0
                ? "-"
                : BigInt(l.collectDeadline) < now
                  ? "window ended"
                  : `in ${formatSpan(BigInt(l.collectDeadline) - now)}`,
            ];
          }),
        ),
      );
    }
    const reservations = Object.entries(state.reservations);
    lines.push("", `${reservations.length} reservation(s) pending or starting`);
    for (const [id, r] of reservations) {
      lines.push(
        `  reservation ${id} on node ${r.nodeId}: ${r.acceptBy === 0 ? `not started, deadline ${span(BigInt(r.deadline), now)}` : BigInt(r.acceptBy) >= now ? `STARTING: accept within ${formatSpan(BigInt(r.acceptBy) - now)}` : "start not accepted in time: it can be failed (the fee is taken from the stake)"}`,
      );
    }
    const money: string[] = [];
    for (const token of tokenSet) {
      const [earned, due] = await Promise.all([escrow.earnings(owner, token), escrow.feesDue(owner, token)]);
      money.push(`${fmt(earned, token)} (protocol fee due ${fmt(due, token)})`);
    }
    lines.push("", `earnings not withdrawn: ${money.join(", ") || "none"}`);
    const buckets = await providerBuckets(emission, owner, { fromBlock: book.blocks.emission });
    const claimable = buckets.reduce((s, b) => s + b.claimable, 0n);
    const claimed = buckets.reduce((s, b) => s + b.claimed, 0n);
    lines.push(
      `mining rewards: ${formatUnits(claimable)} TFT claimable in ${buckets.filter((b) => b.claimable > 0n).length} bucket(s), ${formatUnits(claimed)} TFT claimed`,
    );
    if (saved !== undefined) {
      lines.push(
        `agent state ${config.stateFile}: next nonce ${saved.nonce}, events read to block ${saved.lastBlock}, ${saved.pending === null ? "nothing in flight" : `in flight: ${saved.pending.label} (nonce ${saved.pending.nonce}, ${saved.pending.hashes.length} version(s))`}`,
      );
    }
    return lines.join("\n");
  } finally {
    provider.destroy();
  }
}

/** The keeper's queue as text: the jobs its next round would run. */
export async function keeperStatus(config: KeeperConfig): Promise<string> {
  const book = readBook(config);
  const metrics = new Metrics();
  const provider = connect(config, book, metrics);
  try {
    const key = keystoreAddress(config);
    const contracts = getContracts(book, provider);
    const state =
      stateOf(config, book.chainId, key, book.block - 1) ?? loadState("", "keeper", book.chainId, key, book.block - 1);
    metrics.define("gpufog_keeper_queue", "gauge", "");
    const notes: string[] = [];
    const keeper = new Keeper(
      {
        contracts,
        provider,
        state,
        metrics,
        config,
        signal: new AbortController().signal,
        log: (_, event, f) =>
          notes.push(`${event}: ${JSON.stringify(f, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v))}`),
      },
      config,
    );
    const jobs = await keeper.round();
    const keeperRole = await contracts.emission.KEEPER_ROLE();
    const lines = [
      `keeper ${key} on chain ${book.chainId}, balance ${ethText(await provider.getBalance(key))}${(await contracts.emission.hasRole(keeperRole, key)) ? "" : " — has no KEEPER_ROLE: buybacks will be skipped"}`,
      `${jobs.length} job(s) queued`,
      ...jobs.map((j) => `  ${j.label}`),
      ...notes.map((n) => `  note ${n}`),
    ];
    if (state.pending !== null) lines.push(`in flight: ${state.pending.label} (nonce ${state.pending.nonce})`);
    return lines.join("\n");
  } finally {
    provider.destroy();
  }
}
