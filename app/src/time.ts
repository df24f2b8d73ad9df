import { useEffect, useState } from "react";

/** A span of seconds in words: "42 s", "12 min 5 s", "6 d 23 h". */
export function duration(seconds: bigint): string {
  const s = seconds < 0n ? -seconds : seconds;
  if (s < 60n) return `${s} s`;
  if (s < 3600n) return `${s / 60n} min ${s % 60n} s`;
  if (s < 86_400n) return `${s / 3600n} h ${(s % 3600n) / 60n} min`;
  return `${s / 86_400n} d ${(s % 86_400n) / 3600n} h`;
}

/** A chain timestamp as a UTC date and time to the minute. */
export const when = (timestamp: bigint) =>
  `${new Date(Number(timestamp) * 1000).toISOString().slice(0, 16).replace("T", " ")} UTC`;

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
