// The connected customer's reservations and leases, found by the escrow's Reserved and LeaseOpened
// events (customer indexed), from the escrow's creation block in the address book. The escrow pays a lease up to its node's
// last heartbeat, so while the node is live (its heartbeat not stale) the lease's accrued and
// remaining amounts tick every second by the escrow's own formula (`owedAt`) from the chain's time
// at the last read: what the provider is paid once it heartbeats. Once the heartbeat is stale the
// figures stop at the escrow's `accrued`, paid up to the last heartbeat only.
import { formatToken, owedAt, RATE_DIVISOR, RESERVATION_STATUS, runsOutAt } from "gpufog";
import { LeaseEscrow, ProviderRegistry } from "gpufog/abi";
import { useCallback, useEffect, useRef, useState } from "react";
import { type Address, erc20Abi, getAbiItem, parseUnits } from "viem";
import { useConfig, useConnection } from "wagmi";

import { type Call, chainNow, client, formatTime, logsSince, send, type TxState, withEscrowApproval } from "./chain.ts";
import type { AppConfig } from "./config.ts";
import { TxStatus } from "./TxStatus.tsx";

interface LeaseRow {
  id: bigint;
  nodeId: bigint;
  open: boolean;
  token: Address;
  symbol: string;
  decimals: number;
  rate: bigint;
  start: bigint;
  deposit: bigint;
  /** `accrued` at `readAt`: the escrow's figure, paid up to the node's last heartbeat. */
  paid: bigint;
  /** Until when the node's heartbeat is fresh: the lease accrues by time until then. */
  liveUntil: bigint;
  closed?: { paid: bigint; refund: bigint; slashed: bigint };
}

interface ReservationRow {
  id: bigint;
  nodeId: bigint;
  status: (typeof RESERVATION_STATUS)[number];
  symbol: string;
  decimals: number;
  rate: bigint;
  start: bigint;
  /** The end of the grace: the last moment the lease can start. */
  deadline: bigint;
  deposit: bigint;
  fee: bigint;
  /** From ReservationEnded, once it has ended. */
  ended?: { feePaid: bigint; refund: bigint; leaseId: bigint };
}

type Tokens = Map<Address, { symbol: string; decimals: number }>;

async function tokenOf(c: ReturnType<typeof client>, tokens: Tokens, token: Address) {
  if (!tokens.has(token)) {
    const [symbol, decimals] = await Promise.all([
      c.readContract({ address: token, abi: erc20Abi, functionName: "symbol" }),
      c.readContract({ address: token, abi: erc20Abi, functionName: "decimals" }),
    ]);
    tokens.set(token, { symbol, decimals });
  }
  return tokens.get(token)!;
}

async function readReservations(
  app: AppConfig,
  config: ReturnType<typeof useConfig>,
  customer: Address,
  tokens: Tokens,
) {
  const c = client(config);
  const since = app.book.blocks.escrow;
  const reserved = await logsSince(config, since, (range) =>
    c.getLogs({
      address: app.contracts.escrow,
      event: getAbiItem({ abi: LeaseEscrow, name: "Reserved" }),
      args: { customer },
      ...range,
    }),
  );
  if (reserved.length === 0) return [];
  const ids = reserved.map((l) => l.args.reservationId!);
  const endedLogs = await logsSince(config, since, (range) =>
    c.getLogs({
      address: app.contracts.escrow,
      event: getAbiItem({ abi: LeaseEscrow, name: "ReservationEnded" }),
      args: { reservationId: ids },
      ...range,
    }),
  );
  const ended = new Map(
    endedLogs.map((l) => [
      l.args.reservationId!,
      { feePaid: l.args.feePaid!, refund: l.args.refund!, leaseId: l.args.leaseId! },
    ]),
  );
  const rows: ReservationRow[] = [];
  for (const id of ids.reverse()) {
    const r = await c.readContract({
      address: app.contracts.escrow,
      abi: LeaseEscrow,
      functionName: "reservation",
      args: [id],
    });
    rows.push({
      id,
      nodeId: r.nodeId,
      status: RESERVATION_STATUS[r.status]!,
      ...(await tokenOf(c, tokens, r.token)),
      rate: r.rate,
      start: BigInt(r.start),
      deadline: BigInt(r.deadline),
      deposit: r.deposit,
      fee: r.fee,
      ended: ended.get(id),
    });
  }
  return rows;
}

async function readLeases(app: AppConfig, config: ReturnType<typeof useConfig>, customer: Address) {
  const c = client(config);
  const escrow = { address: app.contracts.escrow, abi: LeaseEscrow } as const;
  const since = app.book.blocks.escrow;
  const registry = { address: app.contracts.registry, abi: ProviderRegistry } as const;
  const [opened, closedLogs, readAt, timeout] = await Promise.all([
    logsSince(config, since, (range) =>
      c.getLogs({
        address: app.contracts.escrow,
        event: getAbiItem({ abi: LeaseEscrow, name: "LeaseOpened" }),
        args: { customer },
        ...range,
      }),
    ),
    logsSince(config, since, (range) =>
      c.getLogs({
        address: app.contracts.escrow,
        event: getAbiItem({ abi: LeaseEscrow, name: "LeaseClosed" }),
        ...range,
      }),
    ),
    chainNow(config),
    c.readContract({ ...registry, functionName: "heartbeatTimeout" }),
  ]);
  const closed = new Map(
    closedLogs.map((l) => [l.args.leaseId!, { paid: l.args.paid!, refund: l.args.refund!, slashed: l.args.slashed! }]),
  );
  const tokens: Tokens = new Map();
  const reservations = await readReservations(app, config, customer, tokens);
  const rows: LeaseRow[] = [];
  for (const log of opened.reverse()) {
    const id = log.args.leaseId!;
    const [lease, [paid]] = await Promise.all([
      c.readContract({ ...escrow, functionName: "lease", args: [id] }),
      c.readContract({ ...escrow, functionName: "accrued", args: [id] }),
    ]);
    const node = await c.readContract({ ...registry, functionName: "node", args: [lease.nodeId] });
    const token = await tokenOf(c, tokens, lease.token);
    const open = lease.status === 1;
    rows.push({
      id,
      nodeId: lease.nodeId,
      open,
      token: lease.token,
      ...token,
      rate: lease.rate,
      start: BigInt(lease.start),
      deposit: lease.deposit,
      paid,
      liveUntil: open ? BigInt(node.lastHeartbeat) + BigInt(timeout) : 0n,
      closed: closed.get(id),
    });
  }
  return { rows, reservations, readAt, readAtMs: Date.now() };
}

export function Leases({ app }: { app: AppConfig }) {
  const config = useConfig();
  const { address } = useConnection();
  const [data, setData] = useState<Awaited<ReturnType<typeof readLeases>>>();
  const [error, setError] = useState<string>();
  const [, tick] = useState(0);

  // Only the latest read is shown: wagmi restores the last session's account before the wallet
  // answers with its own, and the first read may answer last.
  const latest = useRef(0);
  const refresh = useCallback(() => {
    const n = ++latest.current;
    if (address) {
      readLeases(app, config, address).then(
        (d) => n === latest.current && setData(d),
        (e: unknown) => n === latest.current && setError(String((e as Error).message ?? e)),
      );
    }
  }, [app, config, address]);
  useEffect(refresh, [refresh]);
  useEffect(() => {
    const timer = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(timer);
  }, []);

  if (!address) return <p className="muted">Connect a wallet to see its leases.</p>;
  if (error) return <p className="error">Cannot read the leases: {error}</p>;
  if (!data) return <p>Reading the leases…</p>;
  if (data.rows.length === 0 && data.reservations.length === 0) {
    return <p className="state">No leases yet: lease or reserve a node from the market.</p>;
  }
  // The chain's time now, estimated from the last read and the browser's clock since.
  const now = data.readAt + BigInt(Math.floor((Date.now() - data.readAtMs) / 1000));
  return (
    <>
      {data.reservations.map((row) => (
        <ReservationCard key={`r${row.id}`} app={app} row={row} now={now} onDone={refresh} />
      ))}
      {data.rows.map((row) => (
        <LeaseCard key={String(row.id)} app={app} row={row} now={now} onDone={refresh} />
      ))}
    </>
  );
}

function LeaseCard({ app, row, now, onDone }: { app: AppConfig; row: LeaseRow; now: bigint; onDone: () => void }) {
  const config = useConfig();
  const { address } = useConnection();
  const [amount, setAmount] = useState("5");
  const [tx, setTx] = useState<TxState>({ phase: "idle" });
  const money = (a: bigint) => formatToken(a, row.symbol, row.decimals, 4);
  const token = { symbol: row.symbol, decimals: row.decimals };
  const live = now < row.liveUntil;
  // A local node's latest block can be older than the wall clock (blocks are mined on demand), so
  // the estimate never shows less than the escrow's own figure at the last read.
  const ticking = owedAt(row.rate, row.start, now, row.deposit);
  const paid = live && ticking > row.paid ? ticking : row.paid;
  const runsOut = runsOutAt(row.rate, row.start, row.deposit);

  const topUp = async () => {
    if (!address) return;
    let value: bigint;
    try {
      value = parseUnits(amount.trim(), row.decimals);
    } catch {
      setTx({ phase: "failed", label: "Top-up", reason: `"${amount}" is not an amount of ${row.symbol}` });
      return;
    }
    const calls = await withEscrowApproval(config, address, app.contracts.escrow, row.token, value, money, {
      label: `Top-up of lease ${row.id}`,
      address: app.contracts.escrow,
      abi: LeaseEscrow,
      functionName: "topUp",
      args: [row.id, value],
      token,
    });
    if (await send(config, address, calls, setTx)) onDone();
  };
  const close = async () => {
    if (!address) return;
    const calls: Call[] = [
      {
        label: `Close of lease ${row.id}`,
        address: app.contracts.escrow,
        abi: LeaseEscrow,
        functionName: "closeLease",
        args: [row.id],
        token,
      },
    ];
    if (await send(config, address, calls, setTx)) onDone();
  };

  return (
    <section className="card" data-lease={String(row.id)}>
      <h3>
        Lease {String(row.id)} on node {String(row.nodeId)} — {row.open ? "open" : "closed"}
      </h3>
      {row.open ? (
        <>
          <p>
            Deposit {money(row.deposit)}; accrued <strong data-testid="accrued">{money(paid)}</strong>, remaining{" "}
            <strong data-testid="remaining">{money(row.deposit - paid)}</strong>
            {live
              ? runsOut !== undefined && `; runs out ${formatTime(runsOut)}`
              : "; the node's heartbeat is stale: paid only up to its last heartbeat"}
            .
          </p>
          <div className="row">
            <input aria-label="top-up amount" value={amount} onChange={(e) => setAmount(e.target.value)} />
            <button onClick={() => void topUp()}>Top up</button>
            <button onClick={() => void close()}>Close the lease</button>
          </div>
        </>
      ) : (
        row.closed && (
          <p data-testid="closed">
            Paid {money(row.closed.paid)} to the provider; refund received{" "}
            <strong data-testid="refund">{money(row.closed.refund)}</strong>
            {/* The registry pays a slash from the provider's stake, in GUT whatever the lease's token. */}
            {row.closed.slashed > 0n &&
              `, and ${formatToken(row.closed.slashed, "GUT", 18, 4)} of the provider's stake for the outage`}
            .
          </p>
        )
      )}
      <TxStatus state={tx} />
    </section>
  );
}

function ReservationCard({
  app,
  row,
  now,
  onDone,
}: {
  app: AppConfig;
  row: ReservationRow;
  now: bigint;
  onDone: () => void;
}) {
  const config = useConfig();
  const { address } = useConnection();
  const [tx, setTx] = useState<TxState>({ phase: "idle" });
  const money = (a: bigint) => formatToken(a, row.symbol, row.decimals, 4);
  const token = { symbol: row.symbol, decimals: row.decimals };
  const act = async (functionName: "startReserved" | "cancelReservation", label: string) => {
    if (!address) return;
    const call: Call = { label, address: app.contracts.escrow, abi: LeaseEscrow, functionName, args: [row.id], token };
    if (await send(config, address, [call], setTx)) onDone();
  };
  const pending = row.status === "Pending";
  const phase = now < row.start ? "opens" : now <= row.deadline ? "is open" : "has passed: the fee is the provider's";
  return (
    <section className="card" data-reservation={String(row.id)}>
      <h3>
        Reservation {String(row.id)} of node {String(row.nodeId)} —{" "}
        <span data-testid="reservation-status">{row.status.toLowerCase()}</span>
      </h3>
      <p>
        Start the lease between {formatTime(row.start)} and {formatTime(row.deadline)}
        {pending && ` (the window ${phase})`}. Deposit {money(row.deposit)}, of which the reservation fee is{" "}
        <strong data-testid="reservation-fee">{money(row.fee)}</strong>.
      </p>
      {pending && (
        <>
          <p className="muted">
            Starting makes the other {money(row.deposit - row.fee)} a lease at{" "}
            {money((row.rate * 3600n) / RATE_DIVISOR)} per hour. Cancelling refunds {money(row.deposit - row.fee)} (all
            of it if the node failed the reservation).
          </p>
          <div className="row">
            <button onClick={() => void act("startReserved", `Start of reservation ${row.id}`)}>Start the lease</button>
            <button onClick={() => void act("cancelReservation", `Cancel of reservation ${row.id}`)}>
              Cancel the reservation
            </button>
          </div>
        </>
      )}
      {row.ended &&
        (row.status === "Started" ? (
          <p data-testid="reservation-ended">
            Became lease {String(row.ended.leaseId)}; the provider earned the fee of {money(row.ended.feePaid)}.
          </p>
        ) : (
          <p data-testid="reservation-ended">
            The provider earned {money(row.ended.feePaid)}; refund received{" "}
            <strong data-testid="reservation-refund">{money(row.ended.refund)}</strong>.
          </p>
        ))}
      <TxStatus state={tx} />
    </section>
  );
}
