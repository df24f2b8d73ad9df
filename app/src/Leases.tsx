// The connected customer's leases, found by the escrow's LeaseOpened events (customer indexed),
// from the escrow's creation block in the address book. The escrow pays a lease up to its node's
// last heartbeat, so while the node is live (its heartbeat not stale) the lease's accrued and
// remaining amounts tick every second by the escrow's own formula (`owedAt`) from the chain's time
// at the last read: what the provider is paid once it heartbeats. Once the heartbeat is stale the
// figures stop at the escrow's `accrued`, paid up to the last heartbeat only.
import { formatToken, owedAt, runsOutAt } from "gpufog";
import { LeaseEscrow, ProviderRegistry } from "gpufog/abi";
import { useCallback, useEffect, useRef, useState } from "react";
import { type Address, erc20Abi, getAbiItem, parseUnits } from "viem";
import { useConfig, useConnection } from "wagmi";

import { type Call, chainNow, client, send, type TxState } from "./chain.ts";
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
  closed?: { paid: bigint; refund: bigint };
}

async function readLeases(app: AppConfig, config: ReturnType<typeof useConfig>, customer: Address) {
  const c = client(config);
  const escrow = { address: app.contracts.escrow, abi: LeaseEscrow } as const;
  const fromBlock = BigInt(app.book.blocks.escrow);
  const registry = { address: app.contracts.registry, abi: ProviderRegistry } as const;
  const [opened, closedLogs, readAt, timeout] = await Promise.all([
    c.getLogs({
      address: app.contracts.escrow,
      event: getAbiItem({ abi: LeaseEscrow, name: "LeaseOpened" }),
      args: { customer },
      fromBlock,
    }),
    c.getLogs({
      address: app.contracts.escrow,
      event: getAbiItem({ abi: LeaseEscrow, name: "LeaseClosed" }),
      fromBlock,
    }),
    chainNow(config),
    c.readContract({ ...registry, functionName: "heartbeatTimeout" }),
  ]);
  const closed = new Map(closedLogs.map((l) => [l.args.leaseId!, { paid: l.args.paid!, refund: l.args.refund! }]));
  const tokens = new Map<Address, { symbol: string; decimals: number }>();
  const rows: LeaseRow[] = [];
  for (const log of opened.reverse()) {
    const id = log.args.leaseId!;
    const [lease, [paid]] = await Promise.all([
      c.readContract({ ...escrow, functionName: "lease", args: [id] }),
      c.readContract({ ...escrow, functionName: "accrued", args: [id] }),
    ]);
    const node = await c.readContract({ ...registry, functionName: "node", args: [lease.nodeId] });
    if (!tokens.has(lease.token)) {
      const [symbol, decimals] = await Promise.all([
        c.readContract({ address: lease.token, abi: erc20Abi, functionName: "symbol" }),
        c.readContract({ address: lease.token, abi: erc20Abi, functionName: "decimals" }),
      ]);
      tokens.set(lease.token, { symbol, decimals });
    }
    const open = lease.status === 1;
    rows.push({
      id,
      nodeId: lease.nodeId,
      open,
      token: lease.token,
      ...tokens.get(lease.token)!,
      rate: lease.rate,
      start: BigInt(lease.start),
      deposit: lease.deposit,
      paid,
      liveUntil: open ? BigInt(node.lastHeartbeat) + BigInt(timeout) : 0n,
      closed: closed.get(id),
    });
  }
  return { rows, readAt, readAtMs: Date.now() };
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
  if (data.rows.length === 0) return <p className="state">No leases yet: lease a node from the market.</p>;
  // The chain's time now, estimated from the last read and the browser's clock since.
  const now = data.readAt + BigInt(Math.floor((Date.now() - data.readAtMs) / 1000));
  return (
    <>
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
    const allowance = await client(config).readContract({
      address: row.token,
      abi: erc20Abi,
      functionName: "allowance",
      args: [address, app.contracts.escrow],
    });
    const calls: Call[] = [];
    if (allowance < value) {
      calls.push({
        label: `Approve ${money(value)} for the escrow`,
        address: row.token,
        abi: erc20Abi,
        functionName: "approve",
        args: [app.contracts.escrow, value],
        money,
      });
    }
    calls.push({
      label: `Top-up of lease ${row.id}`,
      address: app.contracts.escrow,
      abi: LeaseEscrow,
      functionName: "topUp",
      args: [row.id, value],
      money,
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
        money,
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
              ? runsOut !== undefined &&
                `; runs out ${new Date(Number(runsOut) * 1000).toISOString().replace(".000Z", " UTC")}`
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
            <strong data-testid="refund">{money(row.closed.refund)}</strong>.
          </p>
        )
      )}
      <TxStatus state={tx} />
    </section>
  );
}
