// Token economics, for everyone (no wallet needed): the emission's phase, the reserve left, TFT
// burned and released, the supply, the circulating supply and the floor; their history (the
// reserve's funding, each `Burned` and `Released`, and every TFT burn as a `Transfer` to zero, a
// holder's own included) drawn as two small SVG step charts; and when the next buyback can run,
// from the fee buckets and the TWAP observations. With an indexer the history and the buckets are
// one request to it and the figures a few multicalls, whatever the market's size; without one
// (or while it is down, which the banner says) the page rebuilds them from the contracts' events
// with the package's `readEmissionStats` and `buybackTiming`. Loaded on demand: the chart page
// stays out of the first load.
import {
  type BucketReport,
  buybackTiming,
  type BuybackTiming,
  connectEmission,
  type EmissionStats,
  type PairTiming,
  type Phase,
  phaseName,
  readEmissionStats,
  split,
  SUPPLY_FLOOR,
} from "gpufog";
import { BuybackEmission, TFT } from "gpufog/abi";
import { useEffect, useState } from "react";
import { type Address, erc20Abi, getAbiItem, getAddress, parseAbi, zeroAddress } from "viem";
import { useConfig } from "wagmi";

import { client, logsSince, readMany } from "./chain.ts";
import type { AppConfig } from "./config.ts";
import { big, fromIndexer, listSource, type Row, type Source, SourceNote, tokensAtOnce } from "./indexer.tsx";
import { ethersReader } from "./reader.ts";
import { at, duration, useChainNow, when } from "./time.ts";
import { formatAmount } from "./units.ts";

type WagmiConfig = ReturnType<typeof useConfig>;

const tft = (amount: bigint) => formatAmount(amount, "TFT", 18);

/** The supply's figures at one moment. */
interface Point {
  t: bigint;
  supply: bigint;
  reserve: bigint;
  circulating: bigint;
  burned: bigint;
  released: bigint;
  floor: bigint;
}

/** What the page shows of the emission: its single-object figures and the buckets with fees. */
type Shown = Pick<
  EmissionStats,
  | "phase"
  | "reserveLeft"
  | "totalBurned"
  | "totalReleased"
  | "totalSupply"
  | "maxCirculatingSupply"
  | "floor"
  | "toPhaseOneEnd"
  | "toFloor"
> & { buckets: Pick<BucketReport, "epoch" | "token" | "unsold" | "ended">[] };

/** The figures after each block with an emission event or a TFT burn, from the reserve's funding on, then now. */
async function readHistory(app: AppConfig, config: WagmiConfig, stats: Shown, now: bigint): Promise<Point[]> {
  const c = client(config);
  const address = app.contracts.emission;
  const since = app.book.blocks.emission;
  const [funded, burnedLogs, releasedLogs, burns] = await Promise.all([
    logsSince(config, since, (range) =>
      c.getLogs({ address, event: getAbiItem({ abi: BuybackEmission, name: "ReserveFunded" }), ...range }),
    ),
    logsSince(config, since, (range) =>
      c.getLogs({ address, event: getAbiItem({ abi: BuybackEmission, name: "Burned" }), ...range }),
    ),
    logsSince(config, since, (range) =>
      c.getLogs({ address, event: getAbiItem({ abi: BuybackEmission, name: "Released" }), ...range }),
    ),
    logsSince(config, app.book.blocks.tft, (range) =>
      c.getLogs({
        address: app.contracts.tft,
        event: getAbiItem({ abi: erc20Abi, name: "Transfer" }),
        args: { to: zeroAddress },
        ...range,
      }),
    ),
  ]);
  const events = [
    ...funded.map((l) => ({ l, reserve: l.args.amount! })),
    ...burnedLogs.map((l) => ({ l, burned: l.args.totalBurned! })),
    ...releasedLogs.map((l) => ({ l, released: l.args.fromReserve! })),
    ...burns.map((l) => ({ l, burn: l.args.value! })),
  ].sort((a, b) =>
    a.l.blockNumber === b.l.blockNumber ? a.l.logIndex - b.l.logIndex : a.l.blockNumber < b.l.blockNumber ? -1 : 1,
  );
  // Walked backwards from now, the supply before a burn is the supply after it plus the burn.
  let supply = stats.totalSupply + burns.reduce((sum, l) => sum + l.args.value!, 0n);
  const state = { reserve: 0n, burned: 0n, released: 0n };
  const times = new Map<bigint, bigint>();
  for (const block of new Set(events.map((e) => e.l.blockNumber))) {
    times.set(block, (await c.getBlock({ blockNumber: block })).timestamp);
  }
  const points: Point[] = [];
  const point = (t: bigint) => ({
    t,
    supply,
    ...state,
    circulating: supply - state.reserve,
    floor: stats.floor,
  });
  for (const [i, e] of events.entries()) {
    if ("reserve" in e) state.reserve = e.reserve;
    if ("burned" in e) state.burned = e.burned;
    if ("released" in e) ((state.released += e.released), (state.reserve -= e.released));
    if ("burn" in e) supply -= e.burn;
    const last = i + 1 === events.length || events[i + 1]!.l.blockNumber !== e.l.blockNumber;
    if (last && state.reserve + state.released > 0n) points.push(point(times.get(e.l.blockNumber)!));
  }
  points.push(point(now));
  return points;
}

/** Without an indexer (or while it is down): the emission's buckets and history from its events. */
async function readEconomicsRpc(app: AppConfig, config: WagmiConfig, source: Source, readAt: bigint) {
  const c = client(config);
  const emission = await connectEmission(app.contracts.emission, ethersReader(config));
  const stats = await readEmissionStats(emission, { fromBlock: app.book.blocks.emission });
  const readAtMs = Date.now();
  // The tokens with fees to sell; GUT, the default payment token, when none is waiting.
  const waiting = stats.buckets.filter((b) => b.unsold > 0n);
  const tokens = [...new Set(waiting.map((b) => b.token.toLowerCase()))];
  if (tokens.length === 0) tokens.push(app.contracts.gut.toLowerCase());
  const timings: { token: string; symbol: string; decimals: number; timing: BuybackTiming }[] = [];
  for (const token of tokens) {
    const [symbol, decimals, timing] = await Promise.all([
      c.readContract({ address: token as Address, abi: erc20Abi, functionName: "symbol" }),
      c.readContract({ address: token as Address, abi: erc20Abi, functionName: "decimals" }),
      buybackTiming(emission, token),
    ]);
    timings.push({ token, symbol, decimals, timing });
  }
  const history = await readHistory(app, config, stats, readAt);
  return { stats: stats as Shown, history, complete: true, timings, readAt, readAtMs, source };
}

const FACTORY_ABI = parseAbi(["function getPair(address tokenA, address tokenB) view returns (address)"]);

/**
 * When a buyback of a pair's route can pass the TWAP guard, from the observations' timestamps:
 * the guard quotes from an observation between one and two windows old (the package's
 * `buybackTiming` reads the same with one call per view; here they come in multicalls).
 */
function pairTiming(pair: Address, stamps: bigint[], now: bigint, window: bigint): PairTiming {
  const timing: PairTiming = { pair };
  if (stamps.length === 0) return timing;
  timing.newestAge = now - stamps.reduce((a, b) => (a > b ? a : b));
  const open = stamps.filter((t) => t + 2n * window >= now).sort((a, b) => (a < b ? -1 : 1));
  if (open.length > 0) {
    const from = open.find((t) => t + window <= now) ?? open[0]!;
    timing.usableFrom = from + window;
    timing.usableUntil = open[open.length - 1]! + 2n * window;
  }
  return timing;
}

/**
 * With an indexer: the buckets and the supply's history in one request to it; the figures, the
 * epoch and the TWAP guard's state on the RPC, in four multicalls (the figures; the fee tokens'
 * routes and names; the routes' pairs; their observations), whatever the market's size.
 */
async function readEconomicsIndexer(app: AppConfig, config: WagmiConfig, url: string, source: Source, now: bigint) {
  const emission = { address: app.contracts.emission, abi: BuybackEmission } as const;
  const [figures, indexed] = await Promise.all([
    readMany(config, [
      { ...emission, functionName: "phase" },
      { ...emission, functionName: "reserveLeft" },
      { ...emission, functionName: "totalBurned" },
      { ...emission, functionName: "totalReleased" },
      { ...emission, functionName: "maxCirculatingSupply" },
      { ...emission, functionName: "currentEpoch" },
      { ...emission, functionName: "genesis" },
      { ...emission, functionName: "epochLength" },
      { ...emission, functionName: "twapWindow" },
      { ...emission, functionName: "factory" },
      { address: app.contracts.tft, abi: TFT, functionName: "totalSupply" },
    ]),
    fromIndexer<{ unsold: Row[]; history: Row[]; complete: boolean }>(url, "/economics"),
  ]);
  const [phase, reserveLeft, totalBurned, totalReleased, circulating, epoch, genesis, epochLength, window, factory] =
    figures;
  const totalSupply = figures[10];
  const readAtMs = Date.now();
  // Every further buyback as one: what it takes to end phase one and to reach the floor.
  const ahead = split(2n ** 255n, reserveLeft, totalSupply - SUPPLY_FLOOR);
  const stats: Shown = {
    phase: phase as Phase,
    reserveLeft,
    totalBurned,
    totalReleased,
    totalSupply,
    maxCirculatingSupply: circulating,
    floor: SUPPLY_FLOOR,
    toPhaseOneEnd: ahead.inPhaseOne,
    toFloor: ahead.inPhaseOne + ahead.inPhaseTwo,
    buckets: indexed.unsold.map((b) => ({
      epoch: big(b.epoch),
      token: getAddress(b.token as string),
      unsold: big(b.fees) - big(b.sold),
      ended: big(b.epoch) < epoch,
    })),
  };
  // The tokens with fees to sell; GUT, the default payment token, when none is waiting.
  const tokens: Address[] = [...new Set(stats.buckets.map((b) => getAddress(b.token)))];
  if (tokens.length === 0) tokens.push(getAddress(app.contracts.gut));
  // The routes' views in the same multicall as the tokens' names.
  const named = await tokensAtOnce(
    config,
    tokens,
    tokens.map((token) => ({ ...emission, functionName: "routeOf", args: [token] }) as const),
  );
  const [metas, routes] = [named.tokens, named.alongside as (readonly Address[])[]];
  const hops = routes.flatMap((path) => path.slice(1).map((to, i) => [path[i]!, to] as const));
  const pairs = await readMany(
    config,
    hops.map(([a, b]) => ({ address: factory, abi: FACTORY_ABI, functionName: "getPair", args: [a, b] }) as const),
  );
  const observations = await readMany(
    config,
    pairs.map((pair) => ({ ...emission, functionName: "observationsOf", args: [pair] }) as const),
  );
  const timingOf = new Map(
    pairs.map((pair, i) => [
      pair,
      pairTiming(
        pair,
        observations[i]!.map((o) => BigInt(o.timestamp)).filter((t) => t > 0n),
        now,
        window,
      ),
    ]),
  );
  let hop = 0;
  const timings = tokens.map((token, i) => {
    const route = routes[i]!.slice(1).map(() => timingOf.get(pairs[hop++]!)!);
    const timing: BuybackTiming = {
      now,
      epoch,
      epochEndsAt: genesis + (epoch + 1n) * epochLength,
      window,
      pairs: route,
    };
    return { token: token.toLowerCase(), ...metas.get(token)!, timing };
  });
  // The supply at a point: today's plus every TFT burned since (TFT mints only when created).
  const rows = indexed.history;
  const burnedSince = (r: Row) => big(rows.at(-1)?.allBurned) - big(r.allBurned);
  const history: Point[] = rows.map((r) => {
    const supply = totalSupply + burnedSince(r);
    const reserve = big(r.reserve);
    return {
      t: big(r.timestamp),
      supply,
      reserve,
      circulating: supply - reserve,
      burned: big(r.burned),
      released: big(r.released),
      floor: SUPPLY_FLOOR,
    };
  });
  history.push({
    t: now,
    supply: totalSupply,
    reserve: reserveLeft,
    circulating: totalSupply - reserveLeft,
    burned: totalBurned,
    released: totalReleased,
    floor: SUPPLY_FLOOR,
  });
  return { stats, history, complete: indexed.complete, timings, readAt: now, readAtMs, source };
}

async function readEconomics(app: AppConfig, config: WagmiConfig) {
  const { source, now } = await listSource(app, config);
  return source.kind === "indexer"
    ? readEconomicsIndexer(app, config, source.url, source, now)
    : readEconomicsRpc(app, config, source, now);
}

export function Economics({ app }: { app: AppConfig }) {
  const config = useConfig();
  const [data, setData] = useState<Awaited<ReturnType<typeof readEconomics>>>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    readEconomics(app, config).then(setData, (e: unknown) => setError(String((e as Error).message ?? e)));
  }, [app, config]);
  const now = useChainNow(data);
  if (error) return <p className="error">Cannot read the emission: {error}</p>;
  if (!data) return <p>Reading the emission…</p>;
  const s = data.stats;
  const figures: [string, string, string][] = [
    ["phase", "Phase", phaseName(s.phase)],
    ["reserve", "Mining reserve left", tft(s.reserveLeft)],
    ["burned", "Burned by buybacks", tft(s.totalBurned)],
    ["released", "Released from the reserve", tft(s.totalReleased)],
    ["supply", "Total supply", tft(s.totalSupply)],
    ["circulating", "Circulating supply (outside the locked reserve)", tft(s.maxCirculatingSupply)],
    ["floor", "Supply floor", tft(s.floor)],
  ];
  return (
    <>
      <SourceNote source={data.source} />
      <section className="card" id="figures">
        <h2>TFT supply</h2>
        <table>
          <tbody>
            {figures.map(([id, label, value]) => (
              <tr key={id}>
                <th>{label}</th>
                <td data-testid={id}>{value}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p className="muted">
          Every buyback lowers the circulating supply: phase 1 burns what it buys and releases 80 % of it from the
          reserve; phase 2 burns half; at the floor nothing is burned. Still to buy back to end phase 1:{" "}
          {tft(s.toPhaseOneEnd)}; to reach the floor: {tft(s.toFloor)}.
        </p>
      </section>
      <section className="card" id="history">
        <h2>Over time</h2>
        <div className="charts">
          <Chart
            title="Supply (TFT)"
            points={data.history}
            series={[
              { key: "supply", label: "total supply", color: "#1d2330" },
              { key: "circulating", label: "circulating", color: "#2a6fdb" },
              { key: "reserve", label: "reserve", color: "#0a6b2d" },
              { key: "floor", label: "floor", color: "#b00020", dashed: true },
            ]}
          />
          <Chart
            title="Burned and released (TFT)"
            points={data.history}
            series={[
              { key: "burned", label: "burned", color: "#b00020" },
              { key: "released", label: "released", color: "#0a6b2d" },
            ]}
          />
        </div>
        <p className="muted">
          From the contracts&apos; events: {data.history.length - 1} block(s) with a change,{" "}
          {data.complete ? "the first the reserve's funding" : "the latest ones the indexer serves"}, then now.
        </p>
      </section>
      <section className="card" id="next-buyback">
        <h2>Next buyback</h2>
        {data.timings.map((t) => (
          <NextBuyback key={t.token} stats={s} now={now} {...t} />
        ))}
      </section>
    </>
  );
}

function NextBuyback({
  stats,
  now,
  token,
  symbol,
  decimals,
  timing,
}: {
  stats: Shown;
  now: bigint;
  token: string;
  symbol: string;
  decimals: number;
  timing: BuybackTiming;
}) {
  const sellable = stats.buckets.filter((b) => b.token.toLowerCase() === token && b.ended && b.unsold > 0n);
  const unsold = formatAmount(
    sellable.reduce((sum, b) => sum + b.unsold, 0n),
    symbol,
    decimals,
  );
  // The guard passes when every pair of the route has an observation in its usable window.
  const from = timing.pairs.reduce<bigint | undefined>(
    (m, p) => (m === undefined || p.usableFrom === undefined ? undefined : p.usableFrom > m ? p.usableFrom : m),
    0n,
  );
  const until = timing.pairs.reduce<bigint | undefined>(
    (m, p) => (m === undefined || p.usableUntil === undefined ? undefined : p.usableUntil < m ? p.usableUntil : m),
    2n ** 64n,
  );
  const usable = (t: bigint) => from !== undefined && until !== undefined && from <= t && t <= until;
  const guard =
    from === undefined || until === undefined || until < now
      ? `the TWAP guard needs a keeper's observation of the ${symbol} route first, then a wait of ${duration(timing.window)}`
      : from <= now
        ? `the TWAP guard passes now, until ${at(until, now)}`
        : `the TWAP guard passes from ${at(from, now)} until ${at(until, now)}`;
  const end = timing.epochEndsAt;
  const ends = `epoch ${timing.epoch} ends at ${at(end, now)}`;
  const guardAtEnd = usable(end)
    ? "the observations on record pass the TWAP guard then"
    : `then the TWAP guard needs a keeper's observation taken between ${at(end - 2n * timing.window, now)} and ${at(end - timing.window, now)}`;
  return (
    <p data-testid="next-buyback" data-token={symbol}>
      {sellable.length > 0
        ? `${symbol}: ${unsold} of fees from epoch ${sellable.map((b) => String(b.epoch)).join(", ")} can be sold; ${guard}. The ${ends}.`
        : `${symbol}: no fees waiting to be sold. Fees forwarded now can be sold once ${ends}; ${guardAtEnd}.`}
    </p>
  );
}

interface Series {
  key: Exclude<keyof Point, "t">;
  label: string;
  color: string;
  dashed?: boolean;
}

const W = 460;
const H = 200;
const PAD = { left: 52, right: 8, top: 10, bottom: 22 };
const compact = new Intl.NumberFormat("en", { notation: "compact", maximumFractionDigits: 2 });
const whole = (amount: bigint) => Number(amount / 10n ** 12n) / 1e6;

/** A step chart of some series of the history: values hold until the next change. */
function Chart({ title, points, series }: { title: string; points: Point[]; series: Series[] }) {
  const t0 = points[0]!.t;
  const t1 = points[points.length - 1]!.t;
  const max = Math.max(...points.flatMap((p) => series.map((s) => whole(p[s.key]))), 1e-6) * 1.05;
  const x = (t: bigint) => PAD.left + ((W - PAD.left - PAD.right) * Number(t - t0)) / Math.max(Number(t1 - t0), 1);
  const y = (v: number) => H - PAD.bottom - ((H - PAD.top - PAD.bottom) * v) / max;
  const path = (s: Series) =>
    points
      .map((p, i) => {
        const [px, py] = [x(p.t).toFixed(1), y(whole(p[s.key])).toFixed(1)];
        return i === 0 ? `M${px} ${py}` : `H${px} V${py}`;
      })
      .join(" ");
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={title}>
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line x1={PAD.left} x2={W - PAD.right} y1={y(max * f)} y2={y(max * f)} stroke="#e3e7ef" />
            <text x={PAD.left - 4} y={y(max * f) + 4} textAnchor="end" fontSize="10">
              {compact.format(max * f)}
            </text>
          </g>
        ))}
        <text x={PAD.left} y={H - 6} fontSize="10">
          {when(t0)}
        </text>
        <text x={W - PAD.right} y={H - 6} fontSize="10" textAnchor="end">
          {when(t1)}
        </text>
        {series.map((s) => (
          <path
            key={s.key}
            d={path(s)}
            fill="none"
            stroke={s.color}
            strokeWidth="2"
            strokeDasharray={s.dashed ? "5 4" : undefined}
            data-series={s.key}
            data-points={points.length}
            data-last={String(points[points.length - 1]![s.key])}
          />
        ))}
      </svg>
      <div className="legend">
        {series.map((s) => (
          <span key={s.key} style={{ color: s.color }}>
            ■ {s.label}
          </span>
        ))}
      </div>
    </figure>
  );
}
