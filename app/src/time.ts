// Times and durations in words, one format across the pages. "Now" is always the chain's: the
// latest block's timestamp (advanced by the browser's clock since it was read), never the browser's
// own `Date.now()` alone: a local node whose clock was moved (the story of `npm run app` moves it
// about an hour and a half ahead), a testnet's drift or a wrong computer clock would otherwise show
// a window as open or past when the contracts judge otherwise.
//
// What the pages call:
//   - `useChainClock()`: the chain's time now, ticking every second, with no read of their own;
//     `useChainNow(read)` when the page already read the latest block with its data.
//   - `at(t, now)` for any chain time: "7 Dec 2026 21:01 UTC (in 2 h 5 min)"; `<ChainTime>`
//     (ChainTime.tsx) is the same in a <time> element, the relative part in its own span.
//   - `relative(t, now)`: "in 2 h 5 min", "3 min ago", "now".
//   - `duration(seconds)`: "4 h 17 min", never "15442 s".
import { useEffect, useState } from "react";
import { useConfig } from "wagmi";

import { chainNow } from "./chain.ts";

/**
 * A span of seconds in its two largest units: "42 s", "12 min 5 s", "4 h 17 min", "6 d 23 h";
 * a whole unit alone: "2 h", "7 d". A negative span is shown by its size.
 */
export function duration(seconds: bigint): string {
  const s = seconds < 0n ? -seconds : seconds;
  if (s < 60n) return `${s} s`;
  const units: [bigint, string][] = [
    [86_400n, "d"],
    [3_600n, "h"],
    [60n, "min"],
    [1n, "s"],
  ];
  const i = units.findIndex(([size]) => s >= size);
  const [size, name] = units[i]!;
  const [next, nextName] = units[i + 1]!;
  const rest = (s % size) / next;
  // "7 d 0 h" reads as a countdown that just turned; kept so a ticking value does not jump in width.
  return `${s / size} ${name} ${rest} ${nextName}`;
}

/** A chain time seen from `now` (also a chain time): "in 2 h 5 min", "3 min ago", "now". */
export function relative(t: bigint, now: bigint): string {
  if (t === now) return "now";
  return t > now ? `in ${duration(t - now)}` : `${duration(now - t)} ago`;
}

const DATE = new Intl.DateTimeFormat("en-GB", {
  day: "numeric",
  month: "short",
  year: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
  timeZoneName: "short",
});

/**
 * A chain timestamp as a date and time to the minute in the browser's time zone, which it names:
 * "7 Dec 2026, 21:01 UTC". The one date format of the app; `at` adds how far it is.
 */
export function when(timestamp: bigint): string {
  const parts = DATE.formatToParts(new Date(Number(timestamp) * 1000));
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? "";
  return `${part("day")} ${part("month")} ${part("year")} ${part("hour")}:${part("minute")} ${part("timeZoneName")}`.trim();
}

/** A chain time with how far it is from the chain's `now`: "7 Dec 2026 21:01 UTC (in 2 h 5 min)". */
export function at(t: bigint, now: bigint): string {
  return `${when(t)} (${relative(t, now)})`;
}

/**
 * The chain's time now, estimated from a read (`readAt`, the latest block's timestamp then, at
 * `readAtMs` on the browser's clock) and re-estimated every second, for ages and countdowns that
 * tick without a read per second.
 */
export function useChainNow(read: { readAt: bigint; readAtMs: number } | undefined): bigint {
  const [, tick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(timer);
  }, []);
  return read ? read.readAt + BigInt(Math.floor((Date.now() - read.readAtMs) / 1000)) : 0n;
}

/** How often the chain's clock is read again: a block mined meanwhile may have moved it (a local node's `evm_increaseTime`). */
const REREAD_MS = 15_000;

/**
 * The chain's time now, for a component that has no read of its own: the latest block's timestamp,
 * read at mount and every 15 s, advanced by the browser's clock in between; `undefined` until the
 * first read answers.
 */
export function useChainClock(): bigint | undefined {
  const config = useConfig();
  const [read, setRead] = useState<{ readAt: bigint; readAtMs: number }>();
  useEffect(() => {
    let live = true;
    const load = () =>
      chainNow(config).then(
        (readAt) => live && setRead({ readAt, readAtMs: Date.now() }),
        () => {}, // kept: the last read still ticks; the next one may answer
      );
    void load();
    const timer = setInterval(load, REREAD_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [config]);
  const now = useChainNow(read);
  return read ? now : undefined;
}

/**
 * How far the chain's clock is from the browser's, in words, when it is more than a minute off
 * (a local node moved ahead, a wrong computer clock): "1 h 32 min ahead of this computer's clock".
 */
export function clockSkew(chain: bigint, wallMs = Date.now()): string | undefined {
  const skew = chain - BigInt(Math.floor(wallMs / 1000));
  if (skew > -60n && skew < 60n) return undefined;
  return `${duration(skew)} ${skew > 0n ? "ahead of" : "behind"} this computer's clock`;
}
