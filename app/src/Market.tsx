// The node market: every registered node with its rating, price and liveness, a lease form and a
// reservation form. Both pass the price the table shows as `maxPricePerTuHour`, so a price raised
// while the transaction is pending is refused by the escrow instead of charged.
import { formatToken, formatTu, modelName, statusName } from "gpufog";
import { LeaseEscrow, ProviderRegistry } from "gpufog/abi";
import { useCallback, useEffect, useState } from "react";
import { type Address, BaseError, ContractFunctionRevertedError, erc20Abi, parseUnits } from "viem";
import { useConfig, useConnection } from "wagmi";

import { chainNow, client, explain, formatTime, send, type TxState, withEscrowApproval } from "./chain.ts";
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
  const [reserving, setReserving] = useState<Row>();

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
                  <>
                    <button
                      aria-label={`lease node ${r.id}`}
                      onClick={() => {
                        setReserving(undefined);
                        setLeasing(r);
                      }}
                    >
                      Lease
                    </button>{" "}
                    <button
                      aria-label={`reserve node ${r.id}`}
                      onClick={() => {
                        setLeasing(undefined);
                        setReserving(r);
                      }}
                    >
                      Reserve
                    </button>
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {leasing && (
        <LeaseForm app={app} row={leasing} token={market.tokens.get(leasing.token)!} money={money} onDone={refresh} />
      )}
      {reserving && (
        <ReserveForm
          key={String(reserving.id)}
          app={app}
          row={reserving}
          token={market.tokens.get(reserving.token)!}
          money={money}
          onDone={refresh}
        />
      )}
    </section>
  );
}

interface FormProps {
  app: AppConfig;
  row: Row;
  token: Token;
  money: (amount: bigint, token: Address) => string;
  onDone: () => void;
}

/** `text` as an amount in the token's decimals, or `undefined` when it is not one. */
function amountOf(text: string, decimals: number): bigint | undefined {
  try {
    return parseUnits(text.trim(), decimals);
  } catch {
    return undefined;
  }
}

function LeaseForm({ app, row, token, money, onDone }: FormProps) {
  const config = useConfig();
  const { address } = useConnection();
  const [deposit, setDeposit] = useState("10");
  const [tx, setTx] = useState<TxState>({ phase: "idle" });
  const amount = amountOf(deposit, token.decimals);
  const perHour = (row.pricePerTuHour * row.milliTu) / 1000n;
  const pay = (a: bigint) => money(a, row.token);
  const lease = async () => {
    if (!address || amount === undefined) return;
    const calls = await withEscrowApproval(config, address, app.contracts.escrow, row.token, amount, pay, {
      label: `Lease of node ${row.id}`,
      address: app.contracts.escrow,
      abi: LeaseEscrow,
      functionName: "openLease",
      args: [row.id, amount, row.pricePerTuHour],
      token,
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

/** A moment as a `datetime-local` input's value, in the browser's time zone. */
function localInput(seconds: bigint): string {
  const d = new Date(Number(seconds) * 1000);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

type ReserveQuote = { fee: bigint; feeBps: number; grace: bigint } | { refused: string };

function ReserveForm({ app, row, token, money, onDone }: FormProps) {
  const config = useConfig();
  const { address } = useConnection();
  const [start, setStart] = useState("");
  const [hours, setHours] = useState("2");
  const [deposit, setDeposit] = useState("20");
  const [quote, setQuote] = useState<ReserveQuote>();
  const [tx, setTx] = useState<TxState>({ phase: "idle" });
  const pay = (a: bigint) => money(a, row.token);

  // The window opens an hour from the chain's time by default, on a whole minute.
  useEffect(() => {
    chainNow(config).then((now) => setStart(localInput(((now + 3600n + 59n) / 60n) * 60n)));
  }, [config]);
  const startMs = new Date(start).getTime();
  const startAt = Number.isFinite(startMs) ? BigInt(Math.floor(startMs / 1000)) : undefined;
  const hoursNumber = Number(hours);
  const duration = hours.trim() !== "" && hoursNumber > 0 ? BigInt(Math.round(hoursNumber * 3600)) : undefined;
  const amount = amountOf(deposit, token.decimals);

  // The fee is the escrow's own figure: a reservation with no deposit passes every other check
  // and reverts DepositBelowFee(0, fee), as the library's `reserve` asks it; any other refusal
  // (a window out of range, a node no longer Idle, a price above the bound) is shown before signing.
  useEffect(() => {
    if (startAt === undefined || duration === undefined) return;
    let current = true;
    const c = client(config);
    const escrow = { address: app.contracts.escrow, abi: LeaseEscrow } as const;
    const asked = c
      .simulateContract({
        ...escrow,
        functionName: "reserve",
        args: [row.id, startAt, duration, 0n, row.pricePerTuHour],
        account: address,
      })
      .then(
        () => ({ refused: "the escrow accepts a reservation with no deposit: it cannot quote a fee" }),
        (error: unknown) => {
          const reverted =
            error instanceof BaseError ? error.walk((e) => e instanceof ContractFunctionRevertedError) : undefined;
          if (reverted instanceof ContractFunctionRevertedError && reverted.data?.errorName === "DepositBelowFee") {
            return { fee: reverted.data.args![1] as bigint };
          }
          return { refused: explain(error, token) };
        },
      );
    Promise.all([
      asked,
      c.readContract({ ...escrow, functionName: "reservationFeeBps" }),
      c.readContract({ ...escrow, functionName: "reservationGrace" }),
    ]).then(
      ([q, feeBps, grace]) => current && setQuote("fee" in q ? { ...q, feeBps, grace: BigInt(grace) } : q),
      (e: unknown) => current && setQuote({ refused: explain(e, token) }),
    );
    return () => {
      current = false;
    };
    // `token` is the row's, which `row` covers.
  }, [config, app, row, address, startAt, duration]);

  const perHour = (row.pricePerTuHour * row.milliTu) / 1000n;
  const fee = quote && "fee" in quote ? quote.fee : undefined;
  const covers = amount !== undefined && fee !== undefined && amount > fee;
  const reserve = async () => {
    if (!address || amount === undefined || startAt === undefined || duration === undefined) return;
    const calls = await withEscrowApproval(config, address, app.contracts.escrow, row.token, amount, pay, {
      label: `Reservation of node ${row.id}`,
      address: app.contracts.escrow,
      abi: LeaseEscrow,
      functionName: "reserve",
      args: [row.id, startAt, duration, amount, row.pricePerTuHour],
      token,
    });
    if (await send(config, address, calls, setTx)) onDone();
  };
  return (
    <div className="card lease-form" data-testid="reserve-form">
      <h3>
        Reserve node {String(row.id)}: {row.gpus} × {row.model}
      </h3>
      <div className="row">
        <label>
          Start
          <input aria-label="start" type="datetime-local" value={start} onChange={(e) => setStart(e.target.value)} />
        </label>
        <label>
          for (hours)
          <input aria-label="hours" value={hours} onChange={(e) => setHours(e.target.value)} size={4} />
        </label>
        <label>
          Deposit ({token.symbol})
          <input aria-label="reservation deposit" value={deposit} onChange={(e) => setDeposit(e.target.value)} />
        </label>
      </div>
      {startAt === undefined && <p className="error">Pick the moment the window starts.</p>}
      {duration === undefined && <p className="error">"{hours}" is not a number of hours above 0.</p>}
      {amount === undefined && (
        <p className="error">
          "{deposit}" is not an amount of {token.symbol}
        </p>
      )}
      {startAt !== undefined && duration !== undefined && (
        <p>
          Price {pay(row.pricePerTuHour)} per TU-hour, {pay(perHour)} per hour: the reservation refuses a higher price
          than this one, and the lease it becomes keeps it. The window starts {formatTime(startAt)}
          {quote && "grace" in quote && `; you can start the lease until ${formatTime(startAt + quote.grace)}`}.
        </p>
      )}
      {quote && "refused" in quote && (
        <p className="error" data-testid="reserve-refused">
          Not possible now: {quote.refused}
        </p>
      )}
      {quote && "fee" in quote && (
        <p data-testid="reserve-fee">
          Reservation fee <strong>{pay(quote.fee)}</strong> ({quote.feeBps / 100} % of holding the node from now to the
          end of the window; a little less once mined, as the hold is shorter). It is the provider's when you start,
          cancel or let the window pass, and comes back to you if the provider cancels or the node fails.{" "}
          {covers && (
            <>
              Starting turns the other {pay(amount! - quote.fee)} into the lease's deposit:{" "}
              {perHour > 0n ? `${((Number(amount! - quote.fee) / Number(perHour)) * 60).toFixed(0)} min` : "—"} of time.
            </>
          )}
        </p>
      )}
      {fee !== undefined && amount !== undefined && !covers && (
        <p className="error">The deposit must be above the reservation fee of {pay(fee)}.</p>
      )}
      <div className="row">
        <button disabled={!address || !covers} onClick={() => void reserve()}>
          Reserve
        </button>
        {!address && <span className="muted">Connect a wallet to reserve.</span>}
      </div>
      <TxStatus state={tx} />
    </div>
  );
}
