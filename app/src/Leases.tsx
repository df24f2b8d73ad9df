// The connected customer's reservations and leases, found by the escrow's Reserved and LeaseOpened
// events (customer indexed), from the escrow's creation block in the address book. The provider is
// paid only for the time the customer's receipts cover: the card shows what was collected so far
// (the escrow's `paid`) beside the time used by the chain's clock, and while the page is open it
// signs and sends the lease's receipts to the provider's agent and shows the access it gives
// (LeaseSession.tsx, receipts.ts).
// Closing signs a receipt for the time used (with the lease's session key when this browser keeps
// it, else with the wallet) and sends it with the close in one transaction; the provider then has
// the collect window to collect any later receipt, and anyone finalizes the refund after it.
import { escrowDomain, LEASE_STATUS, owedAt, RATE_DIVISOR, RECEIPT_TYPES, RESERVATION_STATUS, runsOutAt } from "gpufog";
import { LeaseEscrow } from "gpufog/abi";
import { useCallback, useEffect, useRef, useState } from "react";
import {
  type Address,
  encodeFunctionData,
  erc20Abi,
  getAbiItem,
  getAddress,
  type Hex,
  parseUnits,
  zeroAddress,
} from "viem";
import { useConfig, useConnection } from "wagmi";
import { signTypedData } from "wagmi/actions";

import { type Call, chainNow, client, logsSince, send, type TxState, withPermit } from "./chain.ts";
import { ChainTime } from "./ChainTime.tsx";
import type { AppConfig } from "./config.ts";
import { LeaseSessionPanel } from "./LeaseSession.tsx";
import { big, fromIndexer, listSource, SourceNote, tokensOf } from "./indexer.tsx";
import { newSessionKey, sessionAccount } from "./session.ts";
import { relative, useChainNow } from "./time.ts";
import { TxStatus } from "./TxStatus.tsx";
import { exactAmount, formatAmount } from "./units.ts";

type WagmiConfig = ReturnType<typeof useConfig>;

interface LeaseRow {
  id: bigint;
  nodeId: bigint;
  status: (typeof LEASE_STATUS)[number];
  token: Address;
  symbol: string;
  decimals: number;
  rate: bigint;
  start: bigint;
  closedAt: bigint;
  deposit: bigint;
  /** What the provider has collected so far. */
  paid: bigint;
  sessionKey: Address;
  /** For a lease the customer closed, the end of the provider's collect window. */
  collectDeadline: bigint;
  /** From LeaseFinalized, once final. */
  final?: { paid: bigint; refund: bigint };
}

interface ReservationRow {
  id: bigint;
  nodeId: bigint;
  status: (typeof RESERVATION_STATUS)[number];
  token: Address;
  symbol: string;
  decimals: number;
  rate: bigint;
  start: bigint;
  /** The end of the grace: the last moment the lease can start. */
  deadline: bigint;
  /** Once started, the last moment the provider may accept. */
  acceptBy: bigint;
  deposit: bigint;
  fee: bigint;
  /** From ReservationEnded, once it has ended. */
  ended?: { feeEarned: bigint; refund: bigint; leaseId: bigint; penalty: bigint };
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

async function readReservationsRpc(app: AppConfig, config: WagmiConfig, customer: Address, tokens: Tokens) {
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
      { feeEarned: l.args.feeEarned!, refund: l.args.refund!, leaseId: l.args.leaseId!, penalty: l.args.penalty! },
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
      token: r.token,
      ...(await tokenOf(c, tokens, r.token)),
      rate: r.rate,
      start: BigInt(r.start),
      deadline: BigInt(r.deadline),
      acceptBy: BigInt(r.acceptBy),
      deposit: r.deposit,
      fee: r.fee,
      ended: ended.get(id),
    });
  }
  return rows;
}

/** Leases and reservations shown per list from the indexer: the newest first. */
const PAGE = 50;

/**
 * The customer's reservations and leases from the indexer: two requests, each list paged and
 * filtered by customer in its database. The escrow's own `reservation` view is read only for a
 * Pending reservation (the rate its lease would run at, which the indexer does not keep).
 */
async function readFromIndexer(app: AppConfig, config: WagmiConfig, url: string, customer: Address) {
  const c = client(config);
  const [leases, reservations] = await Promise.all([
    fromIndexer(url, "/leases", { customer, limit: PAGE }),
    fromIndexer(url, "/reservations", { customer, limit: PAGE }),
  ]);
  const tokens = await tokensOf(
    config,
    [...leases, ...reservations].map((r) => getAddress(r.token as string)),
  );
  const rows: LeaseRow[] = leases.map((l) => {
    const token = getAddress(l.token as string);
    const status = LEASE_STATUS[Number(l.status)]!;
    return {
      id: big(l.id),
      nodeId: big(l.nodeId),
      status,
      token,
      ...tokens.get(token)!,
      rate: big(l.rate),
      start: big(l.start),
      closedAt: big(l.closedAt),
      deposit: big(l.deposit),
      paid: big(l.paid),
      sessionKey: getAddress(l.sessionKey as string),
      collectDeadline: big(l.collectDeadline),
      final: status === "Closed" ? { paid: big(l.paid), refund: big(l.refund) } : undefined,
    };
  });
  const pending = reservations.filter((r) => RESERVATION_STATUS[Number(r.status)] === "Pending");
  const rates = new Map(
    await Promise.all(
      pending.map(async (r) => {
        const onChain = await c.readContract({
          address: app.contracts.escrow,
          abi: LeaseEscrow,
          functionName: "reservation",
          args: [big(r.id)],
        });
        return [String(r.id), onChain.rate] as const;
      }),
    ),
  );
  const reservationRows: ReservationRow[] = reservations.map((r) => {
    const token = getAddress(r.token as string);
    return {
      id: big(r.id),
      nodeId: big(r.nodeId),
      status: RESERVATION_STATUS[Number(r.status)]!,
      token,
      ...tokens.get(token)!,
      rate: rates.get(String(r.id)) ?? 0n,
      start: big(r.start),
      deadline: big(r.deadline),
      acceptBy: big(r.acceptBy),
      deposit: big(r.deposit),
      fee: big(r.fee),
      ended:
        r.feeEarned === null
          ? undefined
          : { feeEarned: big(r.feeEarned), refund: big(r.refund), leaseId: big(r.leaseId), penalty: big(r.penalty) },
    };
  });
  return { rows, reservations: reservationRows };
}

async function readLeases(app: AppConfig, config: WagmiConfig, customer: Address) {
  const { source, now } = await listSource(app, config);
  const readAtMs = Date.now();
  if (source.kind === "indexer") {
    return { ...(await readFromIndexer(app, config, source.url, customer)), readAt: now, readAtMs, source };
  }
  return { ...(await readLeasesRpc(app, config, customer)), readAt: now, readAtMs, source };
}

/**
 * Without an indexer: the customer's `LeaseOpened` and `Reserved` events (customer indexed) from
 * the escrow's creation block, the `LeaseFinalized` and `ReservationEnded` of those ids, then each
 * lease and reservation read once. Its cost grows with the customer's leases and the chain's length.
 */
async function readLeasesRpc(app: AppConfig, config: WagmiConfig, customer: Address) {
  const c = client(config);
  const escrow = { address: app.contracts.escrow, abi: LeaseEscrow } as const;
  const since = app.book.blocks.escrow;
  const opened = await logsSince(config, since, (range) =>
    c.getLogs({
      address: app.contracts.escrow,
      event: getAbiItem({ abi: LeaseEscrow, name: "LeaseOpened" }),
      args: { customer },
      ...range,
    }),
  );
  const ids = opened.map((l) => l.args.leaseId!);
  const finalLogs =
    ids.length === 0
      ? []
      : await logsSince(config, since, (range) =>
          c.getLogs({
            address: app.contracts.escrow,
            event: getAbiItem({ abi: LeaseEscrow, name: "LeaseFinalized" }),
            args: { leaseId: ids },
            ...range,
          }),
        );
  const final = new Map(finalLogs.map((l) => [l.args.leaseId!, { paid: l.args.paid!, refund: l.args.refund! }]));
  const tokens: Tokens = new Map();
  const reservations = await readReservationsRpc(app, config, customer, tokens);
  const rows: LeaseRow[] = [];
  for (const id of ids.reverse()) {
    const lease = await c.readContract({ ...escrow, functionName: "lease", args: [id] });
    rows.push({
      id,
      nodeId: lease.nodeId,
      status: LEASE_STATUS[lease.status]!,
      token: lease.token,
      ...(await tokenOf(c, tokens, lease.token)),
      rate: lease.rate,
      start: BigInt(lease.start),
      closedAt: BigInt(lease.closedAt),
      deposit: lease.deposit,
      paid: lease.paid,
      sessionKey: lease.sessionKey,
      collectDeadline: BigInt(lease.collectDeadline),
      final: final.get(id),
    });
  }
  return { rows, reservations };
}

export function Leases({ app }: { app: AppConfig }) {
  const config = useConfig();
  const { address } = useConnection();
  const [data, setData] = useState<Awaited<ReturnType<typeof readLeases>>>();
  const [error, setError] = useState<string>();
  // The chain's time now, from the last read's latest block and the browser's clock since; ticks.
  const now = useChainNow(data);

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

  if (!address) return <p className="muted">Connect a wallet to see its leases.</p>;
  if (error) return <p className="error">Cannot read the leases: {error}</p>;
  if (!data) return <p>Reading the leases…</p>;
  if (data.rows.length === 0 && data.reservations.length === 0) {
    return (
      <>
        <SourceNote source={data.source} />
        <p className="state">No leases yet: lease or reserve a node from the market.</p>
      </>
    );
  }
  return (
    <>
      <SourceNote source={data.source} />
      {data.reservations.map((row) => (
        <ReservationCard key={`r${row.id}`} app={app} row={row} now={now} onDone={refresh} />
      ))}
      {data.rows.map((row) => (
        <LeaseCard key={String(row.id)} app={app} row={row} now={now} onDone={refresh} />
      ))}
    </>
  );
}

/**
 * The customer's receipt for the lease up to `paidThrough`: signed by the lease's session key when
 * this browser keeps it (no wallet prompt), else by the wallet, whose signature always counts.
 */
async function signReceipt(app: AppConfig, config: WagmiConfig, account: Address, row: LeaseRow, paidThrough: bigint) {
  const typed = {
    domain: { ...escrowDomain(BigInt(app.chain.id), app.contracts.escrow), verifyingContract: app.contracts.escrow },
    types: RECEIPT_TYPES,
    primaryType: "Receipt" as const,
    message: { leaseId: row.id, paidThrough },
  };
  const session = row.sessionKey === zeroAddress ? undefined : sessionAccount(row.sessionKey);
  if (session) return session.signTypedData(typed);
  return signTypedData(config, { account, ...typed });
}

function LeaseCard({ app, row, now, onDone }: { app: AppConfig; row: LeaseRow; now: bigint; onDone: () => void }) {
  const config = useConfig();
  const { address } = useConnection();
  const [amount, setAmount] = useState("5");
  const [tx, setTx] = useState<TxState>({ phase: "idle" });
  const money = (a: bigint) => formatAmount(a, row.symbol, row.decimals);
  const token = { symbol: row.symbol, decimals: row.decimals };
  const escrow = { address: app.contracts.escrow, abi: LeaseEscrow } as const;
  // A local node's latest block can be older than the wall clock (blocks are mined on demand), so
  // the time used never shows less than what was collected.
  const used = owedAt(row.rate, row.start, now, row.deposit);
  const shownUsed = used > row.paid ? used : row.paid;
  const runsOut = runsOutAt(row.rate, row.start, row.deposit);
  const keptHere = row.sessionKey !== zeroAddress && sessionAccount(row.sessionKey) !== undefined;

  const topUp = async () => {
    if (!address) return;
    let value: bigint;
    try {
      value = parseUnits(amount.trim(), row.decimals);
    } catch {
      setTx({ phase: "failed", label: "Top-up", reason: `"${amount}" is not an amount of ${row.symbol}` });
      return;
    }
    const label = `Top-up of lease ${row.id}`;
    try {
      const calls = await withPermit(
        config,
        address,
        app.contracts.escrow,
        row.token,
        value,
        money,
        label,
        [{ functionName: "topUp", args: [row.id, value] }],
        token,
      );
      if (await send(config, address, calls, setTx)) onDone();
    } catch (error) {
      setTx({ phase: "failed", label, reason: String((error as Error).message ?? error) });
    }
  };
  const close = async () => {
    if (!address) return;
    const label = `Close of lease ${row.id}`;
    try {
      // The receipt covers the time used up to now by the chain's ticking clock (a local node's
      // latest block can be older than that); the escrow counts it up to the close's block.
      const latest = await chainNow(config);
      const paidThrough = now > latest ? now : latest;
      const signature = await signReceipt(app, config, address, row, paidThrough);
      const data = [
        encodeFunctionData({ ...escrow, functionName: "collect", args: [row.id, paidThrough, signature] }),
        encodeFunctionData({ ...escrow, functionName: "closeLease", args: [row.id, 0n, "0x"] }),
      ] as Hex[];
      const call: Call = { label, ...escrow, functionName: "multicall", args: [data], token };
      if (await send(config, address, [call], setTx)) onDone();
    } catch (error) {
      setTx({ phase: "failed", label, reason: String((error as Error).message ?? error) });
    }
  };
  const finalize = async () => {
    if (!address) return;
    const call: Call = {
      label: `Finalize of lease ${row.id}`,
      ...escrow,
      functionName: "finalize",
      args: [row.id],
      token,
    };
    if (await send(config, address, [call], setTx)) onDone();
  };

  return (
    <section className="card" data-lease={String(row.id)}>
      <h3>
        Lease {String(row.id)} on node {String(row.nodeId)} —{" "}
        <span data-testid="lease-status">{row.status.toLowerCase()}</span>
      </h3>
      {row.status === "Open" && (
        <>
          <p>
            Deposit <span title={exactAmount(row.deposit, row.symbol, row.decimals)}>{money(row.deposit)}</span>;
            collected by the provider <strong data-testid="collected">{money(row.paid)}</strong>; time used{" "}
            <strong data-testid="used">{money(shownUsed)}</strong>, remaining{" "}
            <strong data-testid="remaining">{money(row.deposit - shownUsed)}</strong>
            {runsOut !== undefined && (
              <>
                ; runs out <ChainTime t={runsOut} now={now} testId="runs-out" />
              </>
            )}
            .
          </p>
          <LeaseSessionPanel
            app={app}
            lease={{ ...row, used: shownUsed }}
            keptHere={keptHere}
            now={now}
            money={money}
          />
          <p className="muted">
            {keptHere
              ? "This browser keeps the lease's session key: closing signs the receipt for the time used with it."
              : "The lease's session key is not in this browser: closing asks the wallet to sign the receipt for the time used."}
          </p>
          <div className="row">
            <input aria-label="top-up amount" value={amount} onChange={(e) => setAmount(e.target.value)} />
            <button onClick={() => void topUp()}>Top up</button>
            <button onClick={() => void close()}>Close the lease</button>
          </div>
        </>
      )}
      {row.status === "Closing" && (
        <>
          <p data-testid="closing">
            Closed <ChainTime t={row.closedAt} now={now} />; the provider collected {money(row.paid)} and may collect a
            later receipt until <ChainTime t={row.collectDeadline} now={now} testId="collect-deadline" />. Then the rest
            of the deposit, at most {money(row.deposit - row.paid)}, comes back to you.
          </p>
          <button disabled={now <= row.collectDeadline} onClick={() => void finalize()}>
            Finalize the refund
          </button>
        </>
      )}
      {row.status === "Closed" && row.final && (
        <p data-testid="closed">
          Paid {money(row.final.paid)} to the provider; refund received{" "}
          <strong data-testid="refund">{money(row.final.refund)}</strong>.
        </p>
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
  const money = (a: bigint) => formatAmount(a, row.symbol, row.decimals);
  const token = { symbol: row.symbol, decimals: row.decimals };
  const act = async (functionName: string, args: readonly unknown[], label: string) => {
    if (!address) return;
    const call: Call = { label, address: app.contracts.escrow, abi: LeaseEscrow, functionName, args, token };
    if (await send(config, address, [call], setTx)) onDone();
  };
  const phase =
    now < row.start
      ? `opens ${relative(row.start, now)}`
      : now <= row.deadline
        ? "is open"
        : "has passed: the fee is the provider's";
  return (
    <section className="card" data-reservation={String(row.id)}>
      <h3>
        Reservation {String(row.id)} of node {String(row.nodeId)} —{" "}
        <span data-testid="reservation-status">{row.status.toLowerCase()}</span>
      </h3>
      <p>
        Start the lease between <ChainTime t={row.start} now={now} /> and <ChainTime t={row.deadline} now={now} />
        {row.status === "Pending" && ` (the window ${phase})`}. Deposit {money(row.deposit)}, of which the reservation
        fee is <strong data-testid="reservation-fee">{money(row.fee)}</strong>.
      </p>
      {row.status === "Pending" && (
        <>
          <p className="muted">
            Starting asks the provider to accept within minutes; the lease then runs at{" "}
            {money((row.rate * 3600n) / RATE_DIVISOR)} per hour on the other {money(row.deposit - row.fee)}. Cancelling
            leaves the fee to the provider and refunds {money(row.deposit - row.fee)}.
          </p>
          <div className="row">
            <button
              disabled={now < row.start}
              onClick={() => void act("startReserved", [row.id, 0n, newSessionKey()], `Start of reservation ${row.id}`)}
            >
              Start the lease
            </button>
            <button onClick={() => void act("cancelReservation", [row.id], `Cancel of reservation ${row.id}`)}>
              Cancel the reservation
            </button>
          </div>
        </>
      )}
      {row.status === "Starting" && (
        <>
          <p data-testid="starting">
            Started: waiting for the provider to accept until <ChainTime t={row.acceptBy} now={now} />. If it does not,
            fail the reservation: the whole deposit comes back and the fee is taken from the provider&apos;s stake.
          </p>
          <button
            disabled={now <= row.acceptBy}
            onClick={() => void act("failReservation", [row.id], `Failing of reservation ${row.id}`)}
          >
            Fail the reservation
          </button>
        </>
      )}
      {row.ended &&
        (row.status === "Started" ? (
          <p data-testid="reservation-ended">
            Became lease {String(row.ended.leaseId)}; the provider earned {money(row.ended.feeEarned)} of the fee so
            far.
          </p>
        ) : (
          <p data-testid="reservation-ended">
            The provider earned {money(row.ended.feeEarned)}; refund received{" "}
            <strong data-testid="reservation-refund">{money(row.ended.refund)}</strong>
            {row.ended.penalty > 0n &&
              `; the provider's stake paid a penalty of ${formatAmount(row.ended.penalty, "GUT", 18)}`}
            .
          </p>
        ))}
      <TxStatus state={tx} />
    </section>
  );
}
