// An open lease's session on its card: the receipts this page signs and sends to the provider's
// agent, the prepay horizon with what it risks, the access the provider gave, and a banner when
// receipts stop with what happens next.
import { RATE_DIVISOR } from "gpufog";
import type { Address } from "viem";

import { ChainTime } from "./ChainTime.tsx";
import type { AppConfig } from "./config.ts";
import { HORIZONS, useHorizon, useLeaseSession } from "./receipts.ts";
import { duration } from "./time.ts";

/** A span ahead in its one whole unit when it has one ("10 min", "1 h"), else in two. */
const ahead = (s: bigint) => (s % 3600n === 0n ? `${s / 3600n} h` : s % 60n === 0n ? `${s / 60n} min` : duration(s));

export function LeaseSessionPanel({
  app,
  lease,
  keptHere,
  now,
  money,
}: {
  app: AppConfig;
  lease: { id: bigint; nodeId: bigint; sessionKey: Address; rate: bigint; deposit: bigint; used: bigint };
  keptHere: boolean;
  now: bigint;
  money: (a: bigint) => string;
}) {
  const [horizon, setHorizon] = useHorizon();
  const session = useLeaseSession(app, lease, keptHere, horizon, () => now);
  if (!keptHere) {
    return (
      <p className="muted" data-testid="receipts">
        This browser does not keep the lease&apos;s session key, so it sends no receipts: the provider stops serving
        after two missed receipt intervals unless the client holding the key (<code>gpufog customer run</code>) sends
        them.
      </p>
    );
  }
  const left = lease.deposit - lease.used;
  // Receipts pay at least an interval ahead (receipts.ts), whatever the horizon chosen.
  const seconds =
    session.interval !== undefined && BigInt(session.interval) > horizon ? BigInt(session.interval) : horizon;
  // Exposed: the time the receipt the provider holds pays ahead of now, or the next one's, if longer
  // (a shorter horizon just chosen leaves the receipt already sent in force until now catches up).
  const held = session.paidThrough !== undefined && session.paidThrough > now ? session.paidThrough - now : 0n;
  const exposed = (lease.rate * (held > seconds ? held : seconds)) / RATE_DIVISOR;
  const risk = exposed < left ? exposed : left > 0n ? left : 0n;
  const interval = session.interval;
  const stopped = session.failure !== undefined || session.gap !== undefined;
  return (
    <div className="session">
      {stopped && (
        <div className="banner error" role="alert" data-testid="receipts-stopped">
          {session.failure !== undefined ? (
            <>Receipts are not reaching the provider: {session.failure}. </>
          ) : (
            <>
              Receipts stopped for {duration(BigInt(session.gap!))} (the tab or the computer slept) and have
              resumed.{" "}
            </>
          )}
          What happens next: the provider stops serving after two missed intervals
          {interval !== undefined && ` (${duration(BigInt(2 * interval))})`} and closes the lease with your last
          receipt; you pay only up to your last receipt
          {session.paidThrough !== undefined && (
            <>
              , through <ChainTime t={session.paidThrough} now={now} />
            </>
          )}
          . Keep this page open, or run <code>gpufog customer run</code>, to keep the lease served.
        </div>
      )}
      <p data-testid="receipts">
        {session.sent === 0 ? (
          "Sending the first receipt to the provider's agent…"
        ) : (
          <>
            Receipts flowing: {session.sent} sent from this page
            {interval !== undefined && `, one every ${duration(BigInt(interval))}`}; the provider holds your receipt
            through{" "}
            {session.paidThrough !== undefined && <ChainTime t={session.paidThrough} now={now} testId="paid-through" />}
            .
          </>
        )}
      </p>
      <p data-testid="horizon">
        <label>
          Prepay horizon{" "}
          <select
            aria-label="prepay horizon"
            value={String(horizon)}
            onChange={(e) => setHorizon(BigInt(e.target.value))}
          >
            {HORIZONS.map((h) => (
              <option key={String(h)} value={String(h)}>
                {ahead(h)}
              </option>
            ))}
          </select>
        </label>{" "}
        each receipt pays {ahead(seconds)} ahead of now; if the node stops now you pay at most{" "}
        <strong data-testid="risk">{money(risk)}</strong> for time it does not serve.
      </p>
      {session.access ? (
        <div data-testid="access">
          Access from the provider:
          <ul>
            {Object.entries(session.access).map(([k, v]) => (
              <li key={k}>
                {k}: <code>{typeof v === "string" ? v : JSON.stringify(v)}</code>
              </li>
            ))}
          </ul>
        </div>
      ) : (
        <p className="muted" data-testid="access-pending">
          Access: {session.accessPending ?? "asking the provider's agent…"}
        </p>
      )}
    </div>
  );
}
