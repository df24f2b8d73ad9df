// The node market: every registered node with its rating, listed price and last check-in, a lease
// form and a reservation form. A lease or a reservation opens with the provider's signed quote,
// asked of its agent at the node's endpoint (quotes.ts), whose price binds the lease (the listed
// price binds nothing); the deposit is paid with a permit in the same transaction
// (`multicall([selfPermit, openLease])`), so there is no approval to mine first, and the balance is
// checked before the wallet is asked for anything.
import { formatTu, modelName, type SignedQuote, statusName } from "gpufog";
import { LeaseEscrow, ProviderRegistry } from "gpufog/abi";
import { useCallback, useEffect, useRef, useState } from "react";
import { type Address, getAddress, type Hex, parseUnits } from "viem";
import { useConfig, useConnection } from "wagmi";

import { balanceOf, chainNow, client, explain, send, type TxState, withPermit, wrongChain } from "./chain.ts";
import type { AppConfig } from "./config.ts";
import { big, fromIndexer, listSource, SourceNote, tokensOf } from "./indexer.tsx";
import { fetchQuote, quoteArg } from "./quotes.ts";
import { newSessionKey } from "./session.ts";
import { ChainTime } from "./ChainTime.tsx";
import { relative, duration as span, useChainClock } from "./time.ts";
import { TxStatus } from "./TxStatus.tsx";
import { formatAmount } from "./units.ts";

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
  checkInAge: bigint;
}

type SortKey = "id" | "price";
/** Every listed status (a deregistered node, status None, is not shown). */
const ANY = "1,2,3,4";
const STATUSES: [string, string][] = [
  [ANY, "any status"],
  ["1", "Idle"],
  ["2", "Sharing"],
  ["3", "Reserved"],
  ["4", "Disconnect"],
];
/** Nodes a page shows from the indexer. */
const PAGE = 50;
/**
 * Ids one `eth_call` scans without an indexer: returning a NodeInfo costs about 36k gas, so a full
 * window is about 3.6M gas, far under the 50M cap of geth and reth.
 */
const SCAN = 100;
/** Windows one page may scan without an indexer, looking for PAGE nodes of a status. */
const MAX_WINDOWS = 5;

interface NodeLike {
  id: bigint;
  provider: Address;
  model: Hex;
  gpuCount: number;
  milliTu: number;
  pricePerTuHour: bigint;
  paymentToken: Address;
  status: number;
  verified: boolean;
  lastCheckIn: bigint | number;
}

/**
 * One page of the market, from `cursor` (an offset into the indexer's sorted list, or the first
 * node id to scan on the RPC); `next` is where the next page starts, undefined at the end.
 */
async function readMarket(
  app: AppConfig,
  config: ReturnType<typeof useConfig>,
  status: string,
  sort: SortKey,
  cursor: number,
) {
  const c = client(config);
  const { source, now } = await listSource(app, config);
  let nodes: NodeLike[];
  let next: number | undefined;
  if (source.kind === "indexer") {
    const rows = await fromIndexer(source.url, "/nodes", { status, sort, limit: PAGE + 1, offset: cursor });
    nodes = rows.slice(0, PAGE).map((n) => ({
      id: big(n.id),
      provider: getAddress(n.provider as string),
      model: n.model as Hex,
      gpuCount: Number(n.gpuCount),
      milliTu: Number(n.milliTu),
      pricePerTuHour: big(n.pricePerTuHour),
      paymentToken: getAddress(n.paymentToken as string),
      status: Number(n.status),
      verified: Boolean(n.verified),
      lastCheckIn: big(n.lastCheckIn),
    }));
    next = rows.length > PAGE ? cursor + PAGE : undefined;
  } else {
    // Bounded windows of ids: `nodesByStatus` for one status, `nodes` (then None left out) for any.
    const registry = { address: app.contracts.registry, abi: ProviderRegistry } as const;
    nodes = [];
    let at = cursor;
    next = undefined;
    for (let w = 0; w < MAX_WINDOWS; w++) {
      let end: boolean;
      if (status === ANY) {
        const page = await c.readContract({ ...registry, functionName: "nodes", args: [BigInt(at), BigInt(SCAN)] });
        nodes.push(...page.filter((n) => n.status !== 0));
        end = page.length < SCAN;
        at += SCAN;
      } else {
        const [page, after] = await c.readContract({
          ...registry,
          functionName: "nodesByStatus",
          args: [Number(status), BigInt(at), BigInt(SCAN)],
        });
        nodes.push(...page);
        end = after === 0n;
        at = Number(after);
      }
      next = end ? undefined : at;
      if (end || nodes.length >= PAGE) break;
    }
    // Sorted within the page only: the chain has no index by price.
    if (sort === "price")
      nodes.sort((a, b) => (a.pricePerTuHour < b.pricePerTuHour ? -1 : a.pricePerTuHour > b.pricePerTuHour ? 1 : 0));
  }
  const tokens = await tokensOf(
    config,
    nodes.map((n) => n.paymentToken),
  );
  const rows: Row[] = nodes.map((n) => ({
    id: n.id,
    provider: n.provider,
    model: modelName(n.model),
    gpus: n.gpuCount,
    milliTu: BigInt(n.milliTu),
    pricePerTuHour: n.pricePerTuHour,
    token: n.paymentToken,
    status: statusName(n.status),
    verified: n.verified,
    checkInAge: now - BigInt(n.lastCheckIn),
  }));
  return { rows, tokens, source, next };
}

export function Market({ app }: { app: AppConfig }) {
  const config = useConfig();
  const [market, setMarket] = useState<Awaited<ReturnType<typeof readMarket>>>();
  const [error, setError] = useState<string>();
  const [filter, setFilter] = useState("");
  const [status, setStatus] = useState(ANY);
  const [sort, setSort] = useState<SortKey>("id");
  // The pages before this one: where each started (Previous goes back one).
  const [cursors, setCursors] = useState<number[]>([0]);
  const [leasing, setLeasing] = useState<Row>();
  const [reserving, setReserving] = useState<Row>();
  const latest = useRef(0);
  const cursor = cursors[cursors.length - 1]!;

  const refresh = useCallback(() => {
    const n = ++latest.current;
    readMarket(app, config, status, sort, cursor).then(
      (m) => {
        if (n !== latest.current) return;
        setError(undefined);
        setMarket(m);
      },
      (e: unknown) => n === latest.current && setError(String((e as Error).message ?? e)),
    );
  }, [app, config, status, sort, cursor]);
  useEffect(refresh, [refresh]);

  if (error) return <p className="error">Cannot read the registry: {error}</p>;
  if (!market) return <p>Reading the registry…</p>;
  const perHour = (r: Row) => (r.pricePerTuHour * r.milliTu) / 1000n;
  const rows = market.rows.filter((r) => r.model.toLowerCase().includes(filter.toLowerCase()));
  const restart = () => setCursors([0]);
  const money = (amount: bigint, token: Address) => {
    const t = market.tokens.get(token)!;
    return formatAmount(amount, t.symbol, t.decimals);
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
          status{" "}
          <select
            aria-label="status"
            value={status}
            onChange={(e) => {
              setStatus(e.target.value);
              restart();
            }}
          >
            {STATUSES.map(([value, name]) => (
              <option key={value} value={value}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <label>
          sort by{" "}
          <select
            aria-label="sort"
            value={sort}
            onChange={(e) => {
              setSort(e.target.value as SortKey);
              restart();
            }}
          >
            <option value="id">node</option>
            <option value="price">price per TU-hour</option>
          </select>
        </label>
        <button onClick={refresh}>Refresh</button>
      </div>
      <SourceNote source={market.source} />
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
            <th>checked in</th>
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
              <td>{r.status === "Sharing" ? "leased" : `${span(r.checkInAge)} ago`}</td>
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
      <div className="row" data-testid="pager">
        <button disabled={cursors.length === 1} onClick={() => setCursors((list) => list.slice(0, -1))}>
          Previous
        </button>
        <button
          disabled={market.next === undefined}
          onClick={() => market.next !== undefined && setCursors((list) => [...list, market.next!])}
        >
          Next
        </button>
        <span className="muted" data-testid="market-source">
          {market.source.kind === "indexer"
            ? `${PAGE} nodes a page from the indexer, filtered and sorted there; the model filter applies to this page.`
            : `Read from the chain in windows of ${SCAN} node ids; sorting and the model filter apply to this page.`}
        </span>
      </div>
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

/** The connected account's balance of the row's token, read again after each send. */
function useBalance(token: Address, version: number) {
  const config = useConfig();
  const { address } = useConnection();
  const [balance, setBalance] = useState<bigint>();
  useEffect(() => {
    setBalance(undefined);
    if (address) balanceOf(config, token, address).then(setBalance, () => setBalance(undefined));
  }, [config, token, address, version]);
  return balance;
}

/** The pay button's words: what is missing first, so nothing is sent that the chain would refuse. */
function payLabel(action: string, symbol: string, amount: bigint | undefined, balance: bigint | undefined) {
  return amount !== undefined && balance !== undefined && amount > balance ? `Insufficient ${symbol}` : action;
}

function LeaseForm({ app, row, token, money, onDone }: FormProps) {
  const config = useConfig();
  const { address } = useConnection();
  const [deposit, setDeposit] = useState("10");
  const [tx, setTx] = useState<TxState>({ phase: "idle" });
  const [quote, setQuote] = useState<SignedQuote | { refused: string }>();
  const [sent, setSent] = useState(0);
  const balance = useBalance(row.token, sent);
  const amount = amountOf(deposit, token.decimals);
  const pay = (a: bigint) => money(a, row.token);
  useEffect(() => {
    setQuote(undefined);
    if (!address) return;
    fetchQuote(app, config, row.id, address).then(setQuote, (e: unknown) => setQuote({ refused: explain(e, token) }));
    // `token` is the row's, which `row` covers.
  }, [app, config, row, address]);
  const price = quote && "quote" in quote ? quote.quote.pricePerTuHour : undefined;
  const perHour = price === undefined ? undefined : (price * row.milliTu) / 1000n;
  const short = amount !== undefined && balance !== undefined && amount > balance;
  const lease = async () => {
    if (!address || amount === undefined) return;
    const label = `Lease of node ${row.id}`;
    const wrong = wrongChain(config);
    if (wrong) return setTx({ phase: "failed", label, reason: wrong });
    try {
      // A fresh quote: one fetched when the form opened may have expired since.
      const fresh = await fetchQuote(app, config, row.id, address);
      setQuote(fresh);
      const sessionKey = newSessionKey();
      const calls = await withPermit(
        config,
        address,
        app.contracts.escrow,
        row.token,
        amount,
        pay,
        label,
        [{ functionName: "openLease", args: [quoteArg(fresh), fresh.signature, amount, sessionKey] }],
        token,
      );
      if (await send(config, address, calls, setTx)) onDone();
    } catch (error) {
      setTx({ phase: "failed", label, reason: explain(error, token) });
    }
    setSent((n) => n + 1);
  };
  return (
    <div className="card lease-form" data-testid="lease-form">
      <h3>
        Lease node {String(row.id)}: {row.gpus} × {row.model}
      </h3>
      {quote === undefined && address && <p>Asking the provider for a quote…</p>}
      {quote && "refused" in quote && (
        <p className="error" data-testid="quote-refused">
          No quote: {quote.refused}
        </p>
      )}
      {price !== undefined && perHour !== undefined && (
        <p data-testid="quote">
          Quoted price <strong>{pay(price)}</strong> per TU-hour, {pay(perHour)} per hour: the lease runs at this price.
          The deposit buys {amount !== undefined && perHour > 0n ? span((amount * 3600n) / perHour) : "—"} of time; you
          pay only for the time your receipts cover, and what is unused comes back when the lease closes.
        </p>
      )}
      <div className="row">
        <label>
          Deposit ({token.symbol})
          <input aria-label="deposit" value={deposit} onChange={(e) => setDeposit(e.target.value)} />
        </label>
        <span className="muted" data-testid="balance">
          {balance === undefined ? "" : `Balance ${pay(balance)}`}
        </span>
        <button
          disabled={!address || amount === undefined || amount === 0n || short || price === undefined}
          onClick={() => void lease()}
        >
          {payLabel("Open the lease", token.symbol, amount, balance)}
        </button>
        {!address && <span className="muted">Connect a wallet to lease.</span>}
        {amount === undefined && (
          <span className="error">
            "{deposit}" is not an amount of {token.symbol}
          </span>
        )}
      </div>
      <p className="muted">
        The wallet signs a permit for the deposit and then sends one transaction; this browser keeps the lease&apos;s
        session key, which signs its receipts.
      </p>
      <TxStatus state={tx} />
    </div>
  );
}

/** A moment as a `datetime-local` input's value, in the browser's time zone. */
function localInput(seconds: bigint): string {
  const d = new Date(Number(seconds) * 1000);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

type Fee = { fee: bigint; heldUntil: bigint; feeBps: number; grace: bigint; price: bigint } | { refused: string };

function ReserveForm({ app, row, token, money, onDone }: FormProps) {
  const config = useConfig();
  const { address } = useConnection();
  const [start, setStart] = useState("");
  const [hours, setHours] = useState("2");
  const [deposit, setDeposit] = useState("20");
  const [fee, setFee] = useState<Fee>();
  const [tx, setTx] = useState<TxState>({ phase: "idle" });
  const [sent, setSent] = useState(0);
  const balance = useBalance(row.token, sent);
  const pay = (a: bigint) => money(a, row.token);
  // The chain's clock, not the browser's: the escrow judges the start by the block's timestamp,
  // and a local node may run hours ahead of this computer (issue 27, item 4).
  const clock = useChainClock();

  // The window opens an hour from the chain's time by default, on a whole minute.
  useEffect(() => {
    chainNow(config).then((now) => setStart(localInput(((now + 3600n + 59n) / 60n) * 60n)));
  }, [config]);
  const startMs = new Date(start).getTime();
  const startAt = Number.isFinite(startMs) ? BigInt(Math.floor(startMs / 1000)) : undefined;
  // Said before any quote is asked for: the escrow would refuse the window.
  const past = startAt !== undefined && clock !== undefined && startAt <= clock;
  const hoursNumber = Number(hours);
  const duration = hours.trim() !== "" && hoursNumber > 0 ? BigInt(Math.round(hoursNumber * 3600)) : undefined;
  const amount = amountOf(deposit, token.decimals);

  // The provider's quote for the window gives the price; the escrow's `reservationFee` view gives
  // the fee for holding the node from now to the window's end (or its grace, if longer).
  useEffect(() => {
    setFee(undefined);
    if (startAt === undefined || duration === undefined || !address || past) return;
    let current = true;
    const c = client(config);
    const escrow = { address: app.contracts.escrow, abi: LeaseEscrow } as const;
    (async () => {
      const signed = await fetchQuote(app, config, row.id, address, { start: startAt, duration });
      const price = signed.quote.pricePerTuHour;
      const [[fee, heldUntil], feeBps, grace] = await Promise.all([
        c.readContract({ ...escrow, functionName: "reservationFee", args: [row.id, price, startAt, duration] }),
        c.readContract({ ...escrow, functionName: "reservationFeeBps" }),
        c.readContract({ ...escrow, functionName: "reservationGrace" }),
      ]);
      return { fee, heldUntil, feeBps, grace: BigInt(grace), price };
    })().then(
      (f) => current && setFee(f),
      (e: unknown) => current && setFee({ refused: explain(e, token) }),
    );
    return () => {
      current = false;
    };
    // `token` is the row's, which `row` covers.
  }, [config, app, row, address, startAt, duration, past]);

  const quoted = fee && "fee" in fee ? fee : undefined;
  const perHour = quoted ? (quoted.price * row.milliTu) / 1000n : undefined;
  const covers = amount !== undefined && quoted !== undefined && amount > quoted.fee;
  const short = amount !== undefined && balance !== undefined && amount > balance;
  const reserve = async () => {
    if (!address || amount === undefined || startAt === undefined || duration === undefined) return;
    const label = `Reservation of node ${row.id}`;
    const wrong = wrongChain(config);
    if (wrong) return setTx({ phase: "failed", label, reason: wrong });
    try {
      const fresh = await fetchQuote(app, config, row.id, address, { start: startAt, duration });
      const calls = await withPermit(
        config,
        address,
        app.contracts.escrow,
        row.token,
        amount,
        pay,
        label,
        [{ functionName: "reserve", args: [quoteArg(fresh), fresh.signature, amount] }],
        token,
      );
      if (await send(config, address, calls, setTx)) onDone();
    } catch (error) {
      setTx({ phase: "failed", label, reason: explain(error, token) });
    }
    setSent((n) => n + 1);
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
          {startAt !== undefined && clock !== undefined && (
            <span className="muted" data-testid="start-relative" title="by the chain's clock">
              {relative(startAt, clock)}
            </span>
          )}
        </label>
        <label>
          for (hours)
          <input aria-label="hours" value={hours} onChange={(e) => setHours(e.target.value)} size={4} />
        </label>
        <label>
          Deposit ({token.symbol})
          <input aria-label="reservation deposit" value={deposit} onChange={(e) => setDeposit(e.target.value)} />
        </label>
        <span className="muted" data-testid="balance">
          {balance === undefined ? "" : `Balance ${pay(balance)}`}
        </span>
      </div>
      {startAt === undefined && <p className="error">Pick the moment the window starts.</p>}
      {past && (
        <p className="error" data-testid="start-past">
          This is in the past by the chain&apos;s clock (now <ChainTime t={clock!} now={undefined} />
          ): pick a later start.
        </p>
      )}
      {duration === undefined && <p className="error">"{hours}" is not a number of hours above 0.</p>}
      {amount === undefined && (
        <p className="error">
          "{deposit}" is not an amount of {token.symbol}
        </p>
      )}
      {fee && "refused" in fee && (
        <p className="error" data-testid="reserve-refused">
          Not possible now: {fee.refused}
        </p>
      )}
      {quoted && perHour !== undefined && startAt !== undefined && (
        <p data-testid="reserve-fee">
          Quoted price {pay(quoted.price)} per TU-hour, {pay(perHour)} per hour: the lease the reservation becomes runs
          at this price. The window starts <ChainTime t={startAt} now={clock} />; you can start the lease until{" "}
          <ChainTime t={startAt + quoted.grace} now={clock} />, and the provider then has a few minutes to accept.
          Reservation fee <strong>{pay(quoted.fee)}</strong> ({quoted.feeBps / 100} % of holding the node from now until{" "}
          <ChainTime t={quoted.heldUntil} now={clock} />; a little less once mined). Its part before the window is the
          provider&apos;s once it accepts the start, the window&apos;s part is earned while the lease stays open in it;
          all of it comes back to you if the provider does not accept or the node goes down.{" "}
          {covers && perHour > 0n && (
            <>
              Starting turns the other {pay(amount! - quoted.fee)} into the lease&apos;s deposit:{" "}
              {span(((amount! - quoted.fee) * 3600n) / perHour)} of time.
            </>
          )}
        </p>
      )}
      {quoted && amount !== undefined && !covers && (
        <p className="error">The deposit must be above the reservation fee of {pay(quoted.fee)}.</p>
      )}
      <div className="row">
        <button disabled={!address || !covers || short || past} onClick={() => void reserve()}>
          {payLabel("Reserve", token.symbol, amount, balance)}
        </button>
        {!address && <span className="muted">Connect a wallet to reserve.</span>}
      </div>
      <TxStatus state={tx} />
    </div>
  );
}
