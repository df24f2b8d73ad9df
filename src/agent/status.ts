// `gpufog status`: what an operator checks first. For a provider: its operator, nodes, leases,
// earnings and rewards, and the agent's transaction in flight; for a keeper: the queue of jobs
// its next round would run. Read-only, and without the keystore's password.
import { existsSync, readFileSync } from "node:fs";

import { formatUnits, getAddress, type Provider } from "ethers";

import { getContracts } from "../deployments.js";
import { providerBuckets } from "../emission/client.js";
import { leaseReport, providerLeases } from "../escrow.js";
import { InputError } from "../errors.js";
import { tokenLabel, type TokenInfo } from "../erc20.js";
import { formatTable, listNodes, NODE_TABLE_HEADER, nodeRows } from "../registry.js";
import type { KeeperConfig, ProviderConfig } from "./config.js";
import { Keeper } from "./keeper.js";
import { Metrics } from "./metrics.js";
import { connect, readBook } from "./runtime.js";
import { loadState, type AgentState } from "./state.js";

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

/** The provider's status as text. */
export async function providerStatus(config: ProviderConfig): Promise<string> {
  const book = readBook(config);
  const provider = connect(config, book, new Metrics());
  try {
    const key = keystoreAddress(config);
    const owner = config.provider ?? key;
    const { registry, escrow, emission } = getContracts(book, provider);
    const handle = { registry, escrow };
    const latest = (await provider.getBlock("latest"))!;
    const now = BigInt(latest.timestamp);
    const state = stateOf(config, book.chainId, key, book.block - 1);
    const nodes = (await listNodes(registry, { provider: owner })).filter(
      (n) => n.status !== "None" && (config.nodes === undefined || config.nodes.includes(n.id)),
    );
    const leaseIds =
      state === undefined
        ? await providerLeases(handle, owner, { fromBlock: book.blocks.escrow })
        : state.leases.map(BigInt);
    const leases = await Promise.all(leaseIds.map((id) => leaseReport(handle, id)));
    const tokens = await labels(provider, [
      ...nodes.map((n) => n.paymentToken),
      ...leases.map((l) => l.token),
      await emission.tft(),
    ]);
    const fmt = (amount: bigint, token: string) => {
      const t = tokens.get(token)!;
      return `${formatUnits(amount, t.decimals)} ${t.symbol}`;
    };
    const operator = await registry.operatorOf(owner);
    const lines = [
      `provider ${owner} on chain ${book.chainId}, block ${latest.number}`,
      `agent key ${key}${key === owner ? " (the provider's own key)" : operator === key ? " (the provider's operator)" : ` — NOT the provider's operator (${operator})`}, balance ${formatUnits(await provider.getBalance(key))} native`,
      `heartbeat timeout ${await registry.heartbeatTimeout()} s`,
      "",
      nodes.length === 0 ? "no nodes" : formatTable(NODE_TABLE_HEADER, nodeRows(nodes, now, tokens)),
      "",
    ];
    const open = leases.filter((l) => l.status === "Open");
    lines.push(`${open.length} open lease(s) of ${leases.length} followed`);
    if (leases.length > 0) {
      lines.push(
        formatTable(
          ["lease", "node", "status", "customer", "deposit", "accrued", "unwithdrawn", "runs out"],
          leases.map((l) => [
            l.leaseId.toString(),
            l.nodeId.toString(),
            l.status,
            l.customer,
            fmt(l.deposit, l.token),
            fmt(l.accrued, l.token),
            fmt(l.unwithdrawn, l.token),
            l.runsOutAt === undefined ? "-" : `in ${l.runsOutAt - now} s`,
          ]),
        ),
      );
    }
    const earnings = new Map<string, bigint>();
    for (const l of leases) earnings.set(l.token, (earnings.get(l.token) ?? 0n) + l.unwithdrawn);
    lines.push("", `earnings not withdrawn: ${[...earnings].map(([t, a]) => fmt(a, t)).join(", ") || "none"}`);
    const buckets = await providerBuckets(emission, owner, { fromBlock: book.blocks.emission });
    const claimable = buckets.reduce((s, b) => s + b.claimable, 0n);
    const claimed = buckets.reduce((s, b) => s + b.claimed, 0n);
    lines.push(
      `mining rewards: ${formatUnits(claimable)} TFT claimable in ${buckets.filter((b) => b.claimable > 0n).length} bucket(s), ${formatUnits(claimed)} TFT claimed`,
    );
    if (state !== undefined) {
      lines.push(
        `agent state ${config.stateFile}: next nonce ${state.nonce}, events read to block ${state.lastBlock}, ${state.pending === null ? "nothing in flight" : `in flight: ${state.pending.label} (nonce ${state.pending.nonce}, ${state.pending.hashes.length} version(s))`}`,
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
        book,
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
      `keeper ${key} on chain ${book.chainId}, balance ${formatUnits(await provider.getBalance(key))} native${(await contracts.emission.hasRole(keeperRole, key)) ? "" : " — has no KEEPER_ROLE: buybacks will be skipped"}`,
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
