// The node market: every registered node with its rating, price and liveness, and a lease form.
// The lease passes the price the table shows as `maxPricePerTuHour`, so a price raised while the
// transaction is pending is refused by the escrow instead of charged.
import { formatToken, formatTu, modelName, statusName } from "gpufog";
import { LeaseEscrow, ProviderRegistry } from "gpufog/abi";
import { useCallback, useEffect, useState } from "react";
import { type Address, erc20Abi, parseUnits } from "viem";
import { useConfig, useConnection } from "wagmi";

import { type Call, chainNow, client, send, type TxState } from "./chain.ts";
import type { AppConfig } from "./config.ts";
import { TxStatus } from "./TxStatus.tsx";

interface Token {
  symbol: string;
  decimals: number;
}

interface Row {
  id: bigint;
  provider: Address;
  model: string;
  gpus: number;
  milliTu: bigint;
  pricePerTuHour: bigint;
  token: Address;
  status: string;
  verified: boolean;
  heartbeatAge: bigint;
}

type SortKey = "id" | "price" | "tu";

async function readMarket(app: AppConfig, config: ReturnType<typeof useConfig>) {
  const c = client(config);
  const registry = { address: app.contracts.registry, abi: ProviderRegistry } as const;
  const count = await c.readContract({ ...registry, functionName: "nodeCount" });
  const [page, now] = await Promise.all([
    c.readContract({ ...registry, functionName: "nodes", args: [0n, count] }),
    chainNow(config),
  ]);
  const tokens = new Map<Address, Token>();
  for (const address of new Set(page.map((n) => n.paymentToken))) {
    const erc20 = { address, abi: erc20Abi } as const;
    const [symbol, decimals] = await Promise.all([
      c.readContract({ ...erc20, functionName: "symbol" }),
      c.readContract({ ...erc20, functionName: "decimals" }),
    ]);
    tokens.set(address, { symbol, decimals });
  }
  const rows: Row[] = page
    .filter((n) => n.status !== 0)
    .map((n) => ({
      id: n.id,
      provider: n.provider,
      model: modelName(n.model),
      gpus: n.gpuCount,
      milliTu: BigInt(n.milliTu),
      pricePerTuHour: n.pricePerTuHour,
      token: n.paymentToken,
      status: statusName(n.status),
      verified: n.verified,
      heartbeatAge: now - BigInt(n.lastHeartbeat),
    }));
  return { rows, tokens };
}

const age = (s: bigint) => (s < 120n ? `${s} s` : s < 7200n ? `${s / 60n} min` : `${s / 3600n} h`);

export function Market({ app }: { app: AppConfig }) {
  const config = useConfig();
  const [market, setMarket] = useState<Awaited<ReturnType<typeof readMarket>>>();
  const [error, setError] = useState<string>();
  const [filter, setFilter] = useState("");
  const [onlyIdle, setOnlyIdle] = useState(false);
  const [sort, setSort] = useState<SortKey>("id");
  const [leasing, setLeasing] = useState<Row>();

  const refresh = useCallback(() => {
    readMarket(app, config).then(setMarket, (e: unknown) => setError(String((e as Error).message ?? e)));
  }, [app, config]);
  useEffect(refresh, [refresh]);

  if (error) return <p className="error">Cannot read the registry: {error}</p>;
  if (!market) return <p>Reading the registry…</p>;
  const perHour = (r: Row) => (r.pricePerTuHour * r.milliTu) / 1000n;
  const rows = market.rows
    .filter((r) => r.model.toLowerCase().includes(filter.toLowerCase()) && (!onlyIdle || r.status === "Idle"))
    .sort((a, b) =>
      sort === "price"
        ? Number(perHour(a) - perHour(b))
        : sort === "tu"
          ? Number(b.milliTu - a.milliTu)
          : Number(a.id - b.id),
    );
  const money = (amount: bigint, token: Address) => {
    const t = market.tokens.get(token)!;
    return formatToken(amount, t.symbol, t.decimals, 4);
  };
  return (
    <section className="card">
      <div className="row">
        <input
          aria-label="filter by model"
          placeholder="filter by model"
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
        />
        <label>
          <input type="checkbox" checked={onlyIdle} onChange={(e) => setOnlyIdle(e.target.checked)} /> only Idle
        </label>
        <label>
          sort by{" "}
          <select value={sort} onChange={(e) => setSort(e.target.value as SortKey)}>
            <option value="id">node</option>
            <option value="price">price per hour</option>
            <option value="tu">TU</option>
          </select>
        </label>
        <button onClick={refresh}>Refresh</button>
      </div>
      <table>
        <thead>
          <tr>
            <th>node</th>
            <th>model</th>
            <th>GPUs</th>
            <th>TU</th>
            <th>price / TU-hour</th>
            <th>price / hour</th>
            <th>status</th>
            <th>heartbeat</th>
            <th>verified</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={String(r.id)} data-node={String(r.id)}>
              <td>{String(r.id)}</td>
              <td>{r.model}</td>
              <td>{r.gpus}</td>
              <td>{formatTu(r.milliTu)}</td>
              <td>{money(r.pricePerTuHour, r.token)}</td>
              <td>{money(perHour(r), r.token)}</td>
              <td className={`status-${r.status}`}>{r.status}</td>
              <td>{age(r.heartbeatAge)} ago</td>
              <td>{r.verified ? "yes" : "no"}</td>
              <td>
                {r.status === "Idle" && (
                  <button aria-label={`lease node ${r.id}`} onClick={() => setLeasing(r)}>
                    Lease
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {leasing && (
        <LeaseForm app={app} row={leasing} token={market.tokens.get(leasing.token)!} money={money} onDone={refresh} />
      )}
    </section>
  );
}

function LeaseForm({
  app,
  row,
  token,
  money,
  onDone,
}: {
  app: AppConfig;
  row: Row;
  token: Token;
  money: (amount: bigint, token: Address) => string;
  onDone: () => void;
}) {
  const config = useConfig();
  const { address } = useConnection();
  const [deposit, setDeposit] = useState("10");
  const [tx, setTx] = useState<TxState>({ phase: "idle" });
  let amount: bigint | undefined;
  try {
    amount = parseUnits(deposit.trim(), token.decimals);
  } catch {
    amount = undefined;
  }
  const perHour = (row.pricePerTuHour * row.milliTu) / 1000n;
  const lease = async () => {
    if (!address || amount === undefined) return;
    const c = client(config);
    const allowance = await c.readContract({
      address: row.token,
      abi: erc20Abi,
      functionName: "allowance",
      args: [address, app.contracts.escrow],
    });
    const calls: Call[] = [];
    if (allowance < amount) {
      calls.push({
        label: `Approve ${money(amount, row.token)} for the escrow`,
        address: row.token,
        abi: erc20Abi,
        functionName: "approve",
        args: [app.contracts.escrow, amount],
        money: (a) => money(a, row.token),
      });
    }
    calls.push({
      label: `Lease of node ${row.id}`,
      address: app.contracts.escrow,
      abi: LeaseEscrow,
      functionName: "openLease",
      args: [row.id, amount, row.pricePerTuHour],
      money: (a) => money(a, row.token),
    });
    if (await send(config, address, calls, setTx)) onDone();
  };
  return (
    <div className="card lease-form" data-testid="lease-form">
      <h3>
        Lease node {String(row.id)}: {row.gpus} × {row.model}
      </h3>
      <p>
        Price {money(row.pricePerTuHour, row.token)} per TU-hour, {money(perHour, row.token)} per hour; the lease
        refuses a higher price than this one. The deposit buys{" "}
        {amount !== undefined && perHour > 0n ? `${((Number(amount) / Number(perHour)) * 60).toFixed(0)} min` : "—"} of
        time; what is unused comes back when the lease closes.
      </p>
      <div className="row">
        <label>
          Deposit ({token.symbol})
          <input aria-label="deposit" value={deposit} onChange={(e) => setDeposit(e.target.value)} />
        </label>
        <button disabled={!address || amount === undefined || amount === 0n} onClick={() => void lease()}>
          Open the lease
        </button>
        {!address && <span className="muted">Connect a wallet to lease.</span>}
        {amount === undefined && (
          <span className="error">
            "{deposit}" is not an amount of {token.symbol}
          </span>
        )}
      </div>
      <TxStatus state={tx} />
    </div>
  );
}
