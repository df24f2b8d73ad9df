// A chain time as the pages show it: the date and, beside it, how far it is from the chain's now.
import { relative, when } from "./time.ts";

/**
 * `<ChainTime t={deadline} now={now} />`: "7 Dec 2026 21:01 UTC (in 2 h 5 min)" in a <time>
 * element carrying the ISO instant; `now` is the chain's (`useChainClock`, `useChainNow`), and the
 * relative part is left out while it is not known yet.
 */
export function ChainTime({ t, now, testId }: { t: bigint; now: bigint | undefined; testId?: string }) {
  return (
    <time dateTime={new Date(Number(t) * 1000).toISOString()} data-testid={testId} className="chain-time">
      {when(t)}
      {now !== undefined && now > 0n && (
        <>
          {" "}
          <span className="relative" data-testid="relative-time">
            ({relative(t, now)})
          </span>
        </>
      )}
    </time>
  );
}
