// Token economics, for everyone (no wallet needed): the emission's phase, the reserve left, TFT
// burned and released, the supply, the circulating supply and the floor, read with the package's
// `readEmissionStats`; their history, rebuilt from the contracts' events (the reserve's funding,
// each `Burned` and `Released`, and every TFT burn as a `Transfer` to zero, a holder's own
// included) and drawn as two small SVG step charts; and when the next buyback can run, from the
// fee buckets and the package's `buybackTiming` (epoch end, TWAP observations). Loaded on demand:
// the chart page stays out of the first load.
import {
  buybackTiming,
  type BuybackTiming,
  connectEmission,
  type EmissionStats,
  phaseName,
  readEmissionStats,
} from "gpufog";
import { BuybackEmission } from "gpufog/abi";
import { useEffect, useState } from "react";
import { type Address, erc20Abi, getAbiItem, zeroAddress } from "viem";
import { useConfig } from "wagmi";

import { client, logsSince } from "./chain.ts";
import type { AppConfig } from "./config.ts";
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

/** The figures after each block with an emission event or a TFT burn, from the reserve's funding on, then now. */
async function readHistory(app: AppConfig, config: WagmiConfig, stats: EmissionStats, now: bigint): Promise<Point[]> {
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

async function readEconomics(app: AppConfig, config: WagmiConfig) {
  const c = client(config);
  const emission = await connectEmission(app.contracts.emission, ethersReader(config));
  const stats = await readEmissionStats(emission, { fromBlock: app.book.blocks.emission });
  const readAt = (await c.getBlock()).timestamp;
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
  return { stats, history: await readHistory(app, config, stats, readAt), timings, readAt, readAtMs };
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
          From the contracts&apos; events: {data.history.length - 1} block(s) with a change, the first the
          reserve&apos;s funding, then now.
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
  stats: EmissionStats;
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
