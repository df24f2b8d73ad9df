// Where a page's lists come from: the deployment's indexer (config.json's `indexer`) when it is
// set and answers, else bounded reads from the RPC. Single-object reads (balances, allowances, a
// lease's live state) and every write stay on the RPC. A list read first learns the chain's head
// (one `eth_getBlockByNumber`, whose timestamp is also the page's clock) and the indexer's last
// block (`/status`); it waits a little for an indexer that is a few blocks behind (as it is just
// after the page's own transaction), then shows what it has with "indexed to block N".
import { type ContractFunctionParameters, erc20Abi } from "viem";
import type { Config } from "wagmi";

import { client, lastWriteAt, readMany } from "./chain.ts";
import type { AppConfig } from "./config.ts";

/** Blocks the indexer may lag the chain by before the page says so. */
export const LAG_BLOCKS = 3;
/** How long after the page's own transaction a list read waits for the indexer to reach the head. */
const AFTER_WRITE_MS = 60_000;

export type Source =
  | { kind: "indexer"; url: string; block: number; head: number }
  | { kind: "rpc"; head: number; /** Set when an indexer is configured but does not answer. */ down?: string };

/** Amounts and ids come as decimal strings from the indexer (see indexer/src/api/index.ts). */
export type Row = Record<string, string | number | boolean | null>;

/** A GET of the indexer's REST API, as JSON; a refusal or a network failure throws. */
export async function fromIndexer<T = Row[]>(url: string, route: string, params: Record<string, unknown> = {}) {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) query.set(k, String(v));
  const q = query.toString();
  const target = `${url}${route}${q ? `?${q}` : ""}`;
  const response = await fetch(target, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`the indexer answered ${route} with ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

async function indexedBlock(url: string): Promise<number> {
  const status = await fromIndexer<Record<string, { block?: { number?: number } }>>(url, "/status");
  return Object.values(status)[0]?.block?.number ?? 0;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The chain's latest block (its number and timestamp) and where this page's lists come from.
 * An indexer behind the head is asked again a few times over about a second, or over about four
 * seconds within a minute of the page's own transaction (so the page shows its write), then used
 * as it is; the page says how far it lags.
 */
export async function listSource(app: AppConfig, config: Config): Promise<{ source: Source; now: bigint }> {
  const latest = await client(config).getBlock({ blockTag: "latest" });
  const head = Number(latest.number);
  const now = latest.timestamp;
  if (!app.indexer) return { source: { kind: "rpc", head }, now };
  let block = 0;
  try {
    // Right after the page's own transaction, the indexer is given a few seconds to index its block;
    // otherwise about a second (at most four requests), as the chain may have just moved.
    const pauses =
      Date.now() - lastWriteAt < AFTER_WRITE_MS ? [0, 100, 200, 400, 800, 1_200, 1_500] : [0, 150, 300, 600];
    for (const pause of pauses) {
      if (pause) await sleep(pause);
      block = await indexedBlock(app.indexer);
      if (block >= head) break;
    }
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return { source: { kind: "rpc", head, down: `the indexer at ${app.indexer} does not answer (${why})` }, now };
  }
  return { source: { kind: "indexer", url: app.indexer, block, head }, now };
}

/** The banner for the list's source: nothing while the indexer is current. */
export function SourceNote({ source }: { source: Source }) {
  if (source.kind === "rpc") {
    if (!source.down) return null;
    return (
      <div className="banner error" role="alert" data-testid="indexer-down">
        The indexer is down: {source.down}. The lists below are read from the chain instead, in bounded pages (slower,
        and without the server&apos;s sorting).
      </div>
    );
  }
  if (source.head - source.block <= LAG_BLOCKS) return null;
  return (
    <div className="banner" role="status" data-testid="indexer-behind">
      Indexed to block {source.block}; the chain is at block {source.head}: the lists may miss the latest{" "}
      {source.head - source.block} blocks.
    </div>
  );
}

/** A number of the indexer's decimal strings, as a bigint (null as 0). */
export const big = (v: Row[string] | undefined): bigint => (v === null || v === undefined ? 0n : BigInt(v as string));

/** A token's symbol and decimals, read once per page load (two calls) and kept. */
export interface TokenMeta {
  symbol: string;
  decimals: number;
}
const tokenCache = new Map<string, Promise<TokenMeta>>();

export function tokenMeta(config: Config, token: `0x${string}`): Promise<TokenMeta> {
  const c = client(config);
  const key = `${c.chain.id}:${token.toLowerCase()}`;
  let meta = tokenCache.get(key);
  if (!meta) {
    const erc20 = { address: token, abi: erc20Abi } as const;
    meta = Promise.all([
      c.readContract({ ...erc20, functionName: "symbol" }),
      c.readContract({ ...erc20, functionName: "decimals" }),
    ]).then(([symbol, decimals]) => ({ symbol, decimals }));
    meta.catch(() => tokenCache.delete(key));
    tokenCache.set(key, meta);
  }
  return meta;
}

/** The tokens' metadata, as a map keyed by the address as given. */
export async function tokensOf(
  config: Config,
  tokens: Iterable<`0x${string}`>,
): Promise<Map<`0x${string}`, TokenMeta>> {
  const list = [...new Set(tokens)];
  const metas = await Promise.all(list.map((t) => tokenMeta(config, t)));
  return new Map(list.map((t, i) => [t, metas[i]!]));
}

/**
 * The tokens' metadata like {@link tokensOf}, with every token not read yet on this page load read
 * in one multicall, together with the page's other views (`alongside`, answered in order): one
 * request, however many tokens and views.
 */
export async function tokensAtOnce(
  config: Config,
  tokens: Iterable<`0x${string}`>,
  alongside: readonly ContractFunctionParameters[] = [],
): Promise<{ tokens: Map<`0x${string}`, TokenMeta>; alongside: unknown[] }> {
  const list = [...new Set(tokens)];
  const chainId = client(config).chain.id;
  const key = (t: `0x${string}`) => `${chainId}:${t.toLowerCase()}`;
  const missing = [...new Set(list.map((t) => t.toLowerCase() as `0x${string}`))].filter(
    (t) => !tokenCache.has(key(t)),
  );
  const read = readMany(config, [
    ...alongside,
    ...missing.flatMap((address) => [
      { address, abi: erc20Abi, functionName: "symbol" } as const,
      { address, abi: erc20Abi, functionName: "decimals" } as const,
    ]),
  ]) as Promise<unknown[]>;
  missing.forEach((t, i) => {
    const at = alongside.length + 2 * i;
    const meta = read.then((r) => ({ symbol: r[at] as string, decimals: r[at + 1] as number }));
    meta.catch(() => tokenCache.delete(key(t)));
    tokenCache.set(key(t), meta);
  });
  const [views, metas] = await Promise.all([read, Promise.all(list.map((t) => tokenCache.get(key(t))!))]);
  return { tokens: new Map(list.map((t, i) => [t, metas[i]!])), alongside: views.slice(0, alongside.length) };
}
