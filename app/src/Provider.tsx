// The provider's dashboard, for the connected provider or for a provider that named the connected
// account its operator (found by the indexer, or by `OperatorSet` events without one; checked
// against `operatorOf`). Its nodes with their check-in state by the chain's clock (Idle and
// Reserved nodes check in once per the registry's `checkInPeriod`, many in one transaction; a
// leased node needs none), go offline, deregister, the unbonding countdown, the stake's withdrawal
// and a top-up of a stake a penalty left short; its leases with what was collected, the best
// receipt the node's agent holds (from the agent at the node's endpoint, not the chain) with what
// a collect of it pays now, a collect with it or with a receipt pasted, and the close; its reservations waiting for the start to be accepted; its
// earnings per payment token (the escrow's `earnings`), withdrawn to any address (an operator's
// `withdrawFor` pays the provider); its mining rewards by bucket (the indexer's, or the package's
// `providerBuckets` without one); and the registration form, with the stake the registry will lock
// shown before signing. An operator may check in, go offline, accept starts, collect, close and
// withdraw for its provider, and nothing else. With an indexer each list is one request and the
// views a few multicalls, whatever the provider's history; without one the reads grow with it.
import {
  collectableAt,
  connectEmission,
  feeOf,
  formatTu,
  LEASE_STATUS,
  modelId,
  modelName,
  parseSignedReceipt,
  type ProviderBucket,
  providerBuckets,
  RESERVATION_STATUS,
  type SignedReceipt,
  statusName,
  type TokenInfo,
} from "gpufog";
import { BuybackEmission, LeaseEscrow, ProviderRegistry } from "gpufog/abi";
import { useCallback, useEffect, useRef, useState } from "react";
import { type Address, erc20Abi, getAbiItem, getAddress, type Hex, isAddress, isAddressEqual, parseUnits } from "viem";
import { useConfig, useConnection } from "wagmi";

import { agentReceipt, endpointOf } from "./agent.ts";
import {
  type Call,
  chainNow,
  client,
  explain,
  logsSince,
  readMany,
  send,
  type TxState,
  withEscrowApproval,
} from "./chain.ts";
import type { AppConfig } from "./config.ts";
import { big, fromIndexer, listSource, type Row, type Source, SourceNote, tokensAtOnce } from "./indexer.tsx";
import { ethersReader } from "./reader.ts";
import { at, duration, relative, useChainNow } from "./time.ts";
import { TxStatus } from "./TxStatus.tsx";
import { formatAmount } from "./units.ts";

type WagmiConfig = ReturnType<typeof useConfig>;

/** The stake token: GUT, 18 decimals. */
const GUT: TokenInfo = { symbol: "GUT", decimals: 18 };
const gut = (amount: bigint) => formatAmount(amount, GUT.symbol, GUT.decimals);
/** What the emission's rewards pay. */
const TFT: TokenInfo = { symbol: "TFT", decimals: 18 };

interface Token {
  symbol: string;
  decimals: number;
}

const STATUS = { None: 0, Idle: 1, Sharing: 2, Reserved: 3, Disconnect: 4 } as const;

/**
 * The providers that may name `me` operator: from the indexer (its `OperatorSet` rows, once it
 * has reached the chain's head as a list read waits for) when it answers, else from the
 * registry's `OperatorSet` events.
 */
async function namedBy(app: AppConfig, config: WagmiConfig, me: Address, source: Source): Promise<Address[]> {
  if (source.kind === "indexer") {
    const rows = await fromIndexer(source.url, "/operators", { operator: me, limit: PAGE });
    return rows.map((r) => getAddress(r.provider as string));
  }
  const c = client(config);
  const logs = await logsSince(config, app.book.blocks.registry, (range) =>
    c.getLogs({
      address: app.contracts.registry,
      event: getAbiItem({ abi: ProviderRegistry, name: "OperatorSet" }),
      args: { operator: me },
      ...range,
    }),
  );
  return [...new Set(logs.map((l) => l.args.provider!))];
}

/**
 * The accounts the connected one acts for: itself and each provider that names it operator now
 * (checked against `operatorOf`, in one multicall with the account's own first node).
 */
async function actingFor(app: AppConfig, config: WagmiConfig, me: Address, source: Source): Promise<Address[]> {
  const candidates = await namedBy(app, config, me, source);
  const registry = { address: app.contracts.registry, abi: ProviderRegistry } as const;
  const [first, ...current] = await readMany(config, [
    { ...registry, functionName: "nodesOf", args: [me, 0n, 1n] },
    ...candidates.map((provider) => ({ ...registry, functionName: "operatorOf", args: [provider] }) as const),
  ]);
  const own = (first as unknown as readonly [unknown, bigint])[1];
  const named = candidates.filter((_, i) => isAddressEqual(current[i] as Address, me));
  // An operator's own account usually has no nodes: its provider comes first then.
  return own === 0n && named.length > 0 ? [...named, me] : [me, ...named];
}

/** Nodes, leases and reservations a section shows from the indexer. */
const PAGE = 100;
type NodeInfo = Awaited<ReturnType<typeof readNodesRpc>>[number];

/** Without an indexer: the provider's nodes in one bounded `nodesOf` page (about 36k gas a node). */
async function readNodesRpc(app: AppConfig, config: WagmiConfig, provider: Address) {
  const [mine] = await client(config).readContract({
    address: app.contracts.registry,
    abi: ProviderRegistry,
    functionName: "nodesOf",
    args: [provider, 0n, BigInt(PAGE)],
  });
  return mine;
}

/**
 * The provider's nodes from the indexer (id order). The registry's `node` view is read only for a
 * node offline or deregistered with stake left: whether the escrow still holds it and when its
 * unbonding ends, which the indexer does not keep.
 */
/**
 * The provider's nodes from the indexer (id order), and the registry's `node` views still to read
 * (in the page's one multicall with the tokens' names): those of nodes offline or deregistered
 * with stake left, for whether the escrow still holds them and when their unbonding ends, which
 * the indexer does not keep.
 */
async function readNodesIndexer(app: AppConfig, url: string, provider: Address) {
  const rows = await fromIndexer(url, "/nodes", { provider, sort: "id", limit: PAGE });
  const down = rows.filter((n) => Number(n.status) === STATUS.Disconnect || Number(n.status) === STATUS.None);
  const views = down.map(
    (n) =>
      ({ address: app.contracts.registry, abi: ProviderRegistry, functionName: "node", args: [big(n.id)] }) as const,
  );
  const nodes = (live: readonly NodeInfo[]) => {
    const byId = new Map(live.map((v) => [v.id, v]));
    return rows.map((n): NodeInfo => {
      const status = Number(n.status);
      return (
        byId.get(big(n.id)) ?? {
          id: big(n.id),
          provider: getAddress(n.provider as string),
          status,
          engaged: status === STATUS.Sharing || status === STATUS.Reserved,
          verified: Boolean(n.verified),
          lastCheckIn: Number(n.lastCheckIn),
          milliTu: Number(n.milliTu),
          paymentToken: getAddress(n.paymentToken as string),
          gpuCount: Number(n.gpuCount),
          unbondingEnds: 0,
          downSince: 0,
          model: n.model as Hex,
          pricePerTuHour: big(n.pricePerTuHour),
          stake: big(n.stake),
          requiredStake: big(n.requiredStake),
          uri: String(n.uri),
        }
      );
    });
  };
  return { views, nodes };
}

/** A bucket row of the indexer's `/rewards`, as the package's `providerBuckets` gives it. */
function bucketOf(r: Row, currentEpoch: bigint): ProviderBucket {
  const [epoch, fees, sold, bought, fee] = [big(r.epoch), big(r.fees), big(r.sold), big(r.bought), big(r.fee)];
  return {
    epoch,
    token: getAddress(r.token as string),
    fees,
    sold,
    unsold: fees - sold,
    bought,
    rewards: big(r.rewards),
    ended: epoch < currentEpoch,
    fee,
    boughtByFee: fees === 0n ? 0n : (bought * fee) / fees,
    claimed: big(r.claimed),
    claimable: big(r.claimable),
  };
}

/**
 * The provider's mining rewards from the indexer: its latest buckets (oldest first, as
 * `providerBuckets` gives them) and those with something to claim, which a full page of the latest
 * may leave out (then one more request).
 */
async function readRewardsIndexer(url: string, provider: Address, currentEpoch: bigint) {
  const route = `/rewards/${provider}`;
  const rows = await fromIndexer(url, route, { limit: PAGE });
  const owed =
    rows.length < PAGE
      ? rows.filter((r) => big(r.claimable) > 0n).reverse()
      : await fromIndexer(url, route, { claimable: 1, limit: PAGE });
  return {
    buckets: rows.reverse().map((r) => bucketOf(r, currentEpoch)),
    claimable: owed.map((r) => bucketOf(r, currentEpoch)),
  };
}

type LeaseInfo = {
  id: bigint;
  nodeId: bigint;
  token: Address;
  deposit: bigint;
  paid: bigint;
  collectDeadline: number | bigint;
  status: (typeof LEASE_STATUS)[number];
  /** What `collectableAt` needs besides the deposit and the pay. */
  start: number | bigint;
  closedAt: number | bigint;
  rate: bigint;
  feeBps: number | bigint;
};
type StartInfo = {
  id: bigint;
  nodeId: bigint;
  token: Address;
  acceptBy: number | bigint;
  status: (typeof RESERVATION_STATUS)[number];
};

/**
 * The provider's open and closing leases, its reservations waiting for an accept and its earnings
 * per token, from the indexer: three requests, whatever its history.
 */
async function readBooksIndexer(url: string, provider: Address) {
  const [leases, starting, earned] = await Promise.all([
    fromIndexer(url, "/leases", { provider, status: "1,2", limit: PAGE }),
    fromIndexer(url, "/reservations", { provider, status: 2, limit: PAGE }),
    fromIndexer(url, `/earnings/${provider}`),
  ]);
  return {
    leases: leases.map((l): LeaseInfo => ({
      id: big(l.id),
      nodeId: big(l.nodeId),
      token: getAddress(l.token as string),
      deposit: big(l.deposit),
      paid: big(l.paid),
      collectDeadline: big(l.collectDeadline),
      status: LEASE_STATUS[Number(l.status)]!,
      start: big(l.start),
      closedAt: big(l.closedAt),
      rate: big(l.rate),
      feeBps: Number(l.feeBps),
    })),
    reservations: starting.map((r): StartInfo => ({
      id: big(r.id),
      nodeId: big(r.nodeId),
      token: getAddress(r.token as string),
      acceptBy: big(r.acceptBy),
      status: RESERVATION_STATUS[Number(r.status)]!,
    })),
    earnings: new Map(
      earned.map((e) => [
        getAddress(e.token as string),
        { earned: big(e.earned) - big(e.withdrawn), feesDue: big(e.feesDue) },
      ]),
    ),
  };
}

/**
 * Without an indexer: the leases of its nodes found by `LeaseOpened` (node indexed) and each read
 * once, each Reserved node's reservation, and `earnings` and `feesDue` per token: its cost grows
 * with the provider's leases.
 */
async function readBooksRpc(app: AppConfig, config: WagmiConfig, provider: Address, mine: readonly NodeInfo[]) {
  const c = client(config);
  const escrow = { address: app.contracts.escrow, abi: LeaseEscrow } as const;
  const ids = mine.map((n) => n.id);
  const opened =
    ids.length === 0
      ? []
      : await logsSince(config, app.book.blocks.escrow, (range) =>
          c.getLogs({
            address: app.contracts.escrow,
            event: getAbiItem({ abi: LeaseEscrow, name: "LeaseOpened" }),
            args: { nodeId: ids },
            ...range,
          }),
        );
  const leases: LeaseInfo[] = [];
  for (const log of opened) {
    const id = log.args.leaseId!;
    const lease = await c.readContract({ ...escrow, functionName: "lease", args: [id] });
    const status = LEASE_STATUS[lease.status]!;
    if (status !== "Open" && status !== "Closing") continue;
    leases.push({ id, ...lease, status });
  }
  // A reservation holds one node at a time: each node's, started and waiting for the accept.
  const reservations: StartInfo[] = [];
  for (const n of mine.filter((n) => n.status === STATUS.Reserved)) {
    const id = await c.readContract({ ...escrow, functionName: "reservationOf", args: [n.id] });
    if (id === 0n) continue;
    const r = await c.readContract({ ...escrow, functionName: "reservation", args: [id] });
    reservations.push({ id, ...r, status: RESERVATION_STATUS[r.status]! });
  }
  const earnings = new Map<Address, { earned: bigint; feesDue: bigint }>();
  for (const address of new Set<Address>([app.contracts.gut, ...mine.map((n) => n.paymentToken)])) {
    const [earned, feesDue] = await Promise.all([
      c.readContract({ ...escrow, functionName: "earnings", args: [provider, address] }),
      c.readContract({ ...escrow, functionName: "feesDue", args: [provider, address] }),
    ]);
    earnings.set(address, { earned, feesDue });
  }
  return { leases, reservations, earnings };
}

/** Where the lists come from and the chain's time, as `listSource` answers. */
type Listed = Awaited<ReturnType<typeof listSource>>;

/** The page's data for `provider`; `listed` reuses a list source read a moment ago. */
async function readProvider(app: AppConfig, config: WagmiConfig, provider: Address, listed?: Listed) {
  const registry = { address: app.contracts.registry, abi: ProviderRegistry } as const;
  const [{ source, now: readAt }, [[models, entries], period, currentEpoch]] = await Promise.all([
    listed ?? listSource(app, config),
    readMany(config, [
      { ...registry, functionName: "catalog" },
      { ...registry, functionName: "checkInPeriod" },
      { address: app.contracts.emission, abi: BuybackEmission, functionName: "currentEpoch" },
    ]),
  ]);
  const readAtMs = Date.now();
  const paidIn = (books: { leases: LeaseInfo[]; reservations: StartInfo[]; earnings: Map<Address, unknown> }) => [
    app.contracts.gut,
    ...books.earnings.keys(),
    ...books.leases.map((l) => l.token),
    ...books.reservations.map((r) => r.token),
  ];
  let mine: readonly NodeInfo[], books: Awaited<ReturnType<typeof readBooksIndexer>>;
  let rewards: { buckets: ProviderBucket[]; claimable: ProviderBucket[] };
  let tokens: Map<Address, { symbol: string; decimals: number }>;
  if (source.kind === "indexer") {
    let listed: Awaited<ReturnType<typeof readNodesIndexer>>;
    [listed, books, rewards] = await Promise.all([
      readNodesIndexer(app, source.url, provider),
      readBooksIndexer(source.url, provider),
      readRewardsIndexer(source.url, provider, currentEpoch),
    ]);
    const read = await tokensAtOnce(
      config,
      [...paidIn(books), ...rewards.buckets.map((b) => getAddress(b.token))],
      listed.views,
    );
    mine = listed.nodes(read.alongside as NodeInfo[]);
    tokens = read.tokens;
  } else {
    mine = await readNodesRpc(app, config, provider);
    books = await readBooksRpc(app, config, provider, mine);
    const emission = await connectEmission(app.contracts.emission, ethersReader(config));
    const buckets = await providerBuckets(emission, provider, { fromBlock: Number(app.book.blocks.emission) });
    rewards = { buckets, claimable: buckets.filter((b) => b.claimable > 0n) };
    tokens = (await tokensAtOnce(config, [...paidIn(books), ...rewards.buckets.map((b) => getAddress(b.token))]))
      .tokens;
  }
  // Deregistered nodes stay listed while their stake is unbonding or waiting to be withdrawn.
  const nodes = mine.filter((n) => n.status !== STATUS.None || n.stake > 0n);
  const { leases, reservations, earnings } = books;
  // GUT, the default payment token, always has a row.
  if (!earnings.has(app.contracts.gut)) earnings.set(app.contracts.gut, { earned: 0n, feesDue: 0n });
  const catalog = models
    .map((m, i) => ({ model: modelName(m), milliTu: BigInt(entries[i]!.milliTu), retired: entries[i]!.retired }))
    .filter((m) => !m.retired);
  return {
    nodes,
    leases,
    reservations,
    earnings,
    buckets: rewards.buckets,
    claimable: rewards.claimable,
    tokens,
    catalog,
    period: BigInt(period),
    readAt,
    readAtMs,
    source,
  };
}
type ProviderData = Awaited<ReturnType<typeof readProvider>>;

export function Provider({ app }: { app: AppConfig }) {
  const config = useConfig();
  const { address } = useConnection();
  const [accounts, setAccounts] = useState<Address[]>();
  const [provider, setProvider] = useState<Address>();
  const [data, setData] = useState<ProviderData>();
  const [error, setError] = useState<string>();
  // Only the latest read is shown: wagmi restores the last session's account before the wallet
  // answers with its own, and the first read may answer last.
  const latestAccounts = useRef(0);
  const latest = useRef(0);
  // The list source the account lookup read: the first read of its provider reuses it.
  const opening = useRef<Listed>(undefined);
  useEffect(() => {
    const n = ++latestAccounts.current;
    setAccounts(undefined);
    setProvider(undefined);
    setData(undefined);
    if (!address) return;
    listSource(app, config)
      .then(async (listed) => ({ listed, list: await actingFor(app, config, address, listed.source) }))
      .then(
        ({ listed, list }) => {
          if (n !== latestAccounts.current) return;
          opening.current = listed;
          setAccounts(list);
          setProvider(list[0]);
        },
        (e: unknown) => n === latestAccounts.current && setError(String((e as Error).message ?? e)),
      );
  }, [app, config, address]);
  const refresh = useCallback(() => {
    const n = ++latest.current;
    const listed = opening.current;
    opening.current = undefined;
    if (provider) {
      readProvider(app, config, provider, listed).then(
        (d) => n === latest.current && setData(d),
        (e: unknown) => n === latest.current && setError(String((e as Error).message ?? e)),
      );
    }
  }, [app, config, provider]);
  useEffect(refresh, [refresh]);

  if (!address) return <p className="muted">Connect a wallet to see its nodes, earnings and rewards.</p>;
  if (error) return <p className="error">Cannot read the registry: {error}</p>;
  if (!accounts || !provider || !data) return <p>Reading the registry…</p>;
  const operator = !isAddressEqual(provider, address);
  return (
    <>
      {accounts.length > 1 && (
        <section className="card" id="acting-for">
          <label>
            Acting for{" "}
            <select
              aria-label="acting for"
              value={provider}
              onChange={(e) => {
                if (e.target.value === provider) return;
                setData(undefined);
                setProvider(e.target.value as Address);
              }}
            >
              {accounts.map((a) => (
                <option key={a} value={a}>
                  {isAddressEqual(a, address) ? `${a} (this account)` : `${a} (as its operator)`}
                </option>
              ))}
            </select>
          </label>
          {operator && (
            <p className="muted" data-testid="operator-note">
              As the operator you may check in, take nodes offline, accept starts, collect, close and withdraw earnings,
              which are paid to the provider; deregistering, the stake and rewards are the provider&apos;s.
            </p>
          )}
        </section>
      )}
      <SourceNote source={data.source} />
      <Nodes app={app} provider={provider} operator={operator} data={data} onDone={refresh} />
      <ProviderLeases app={app} provider={provider} operator={operator} data={data} onDone={refresh} />
      <Earnings app={app} provider={provider} operator={operator} data={data} onDone={refresh} />
      <Rewards app={app} operator={operator} data={data} onDone={refresh} />
      {!operator && <Register app={app} catalog={data.catalog} onDone={refresh} />}
    </>
  );
}

interface SectionProps {
  app: AppConfig;
  provider: Address;
  operator: boolean;
  data: ProviderData;
  onDone: () => void;
}

function Nodes({ app, operator, data, onDone }: SectionProps) {
  const config = useConfig();
  const { address } = useConnection();
  const [tx, setTx] = useState<TxState>({ phase: "idle" });
  const now = useChainNow(data);
  const registryCall = (label: string, functionName: string, args: readonly unknown[]): Call => ({
    label,
    address: app.contracts.registry,
    abi: ProviderRegistry,
    functionName,
    args,
    token: GUT,
  });
  const run = async (calls: Call[]) => {
    if (!address) return;
    // Refreshed failed or not: a refused action usually means the page was behind the chain.
    await send(config, address, calls, setTx);
    onDone();
  };
  const act = (label: string, functionName: string, nodeId: bigint) =>
    run([registryCall(`${label} of node ${nodeId}`, functionName, [nodeId])]);
  // Idle and Reserved nodes check in; a Disconnect node free of the escrow comes back Idle by one.
  const checkable = data.nodes.filter(
    (n) => n.status === STATUS.Idle || n.status === STATUS.Reserved || (n.status === STATUS.Disconnect && !n.engaged),
  );
  const checkIn = (ids: bigint[]) =>
    run([registryCall(`Check-in of node${ids.length > 1 ? "s" : ""} ${ids.join(", ")}`, "checkIn", [ids])]);
  const addStake = async (nodeId: bigint, amount: bigint) => {
    if (!address) return;
    const call = registryCall(`Stake top-up of node ${nodeId}`, "addStake", [nodeId, amount]);
    await run(await withEscrowApproval(config, address, app.contracts.registry, app.contracts.gut, amount, gut, call));
  };
  return (
    <section className="card" id="nodes">
      <h2>{operator ? "The provider's nodes" : "My nodes"}</h2>
      {data.nodes.length === 0 ? (
        <p className="muted">No nodes yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>node</th>
              <th>model</th>
              <th>GPUs</th>
              <th>TU</th>
              <th>status</th>
              <th>check-in</th>
              <th>stake</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {data.nodes.map((n) => {
              const status = statusName(n.status);
              const dueAt = BigInt(n.lastCheckIn) + data.period;
              const unbondingEnds = BigInt(n.unbondingEnds);
              const short = n.status !== STATUS.None && n.stake < n.requiredStake;
              return (
                <tr key={String(n.id)} data-node={String(n.id)}>
                  <td>{String(n.id)}</td>
                  <td>{modelName(n.model)}</td>
                  <td>{n.gpuCount}</td>
                  <td>{formatTu(BigInt(n.milliTu))}</td>
                  <td className={`status-${status}`} data-testid="status">
                    {n.status === STATUS.None ? "Deregistered" : status}
                  </td>
                  <td data-testid="check-in">
                    {n.status === STATUS.None ? (
                      "–"
                    ) : n.status === STATUS.Sharing ? (
                      <span data-due="leased">leased: no check-in needed</span>
                    ) : n.status === STATUS.Disconnect ? (
                      <span data-due="offline">offline{n.engaged ? "" : ": a check-in brings it back"}</span>
                    ) : now > dueAt ? (
                      <span className="error" data-due="overdue">
                        overdue by {duration(now - dueAt)}: anyone may mark it Disconnect
                      </span>
                    ) : (
                      <span data-due="no">
                        {relative(BigInt(n.lastCheckIn), now)}, due {relative(dueAt, now)}
                      </span>
                    )}
                  </td>
                  <td>
                    {gut(n.stake)}
                    {short && (
                      <span className="error" data-testid="stake-short">
                        {" "}
                        (required {gut(n.requiredStake)}: no new lease until it is topped up)
                      </span>
                    )}
                  </td>
                  <td>
                    {checkable.includes(n) && <button onClick={() => void checkIn([n.id])}>Check in</button>}
                    {(n.status === STATUS.Idle || n.status === STATUS.Reserved) && (
                      <button onClick={() => void act("Going offline", "goOffline", n.id)}>Go offline</button>
                    )}
                    {short && !operator && (
                      <button onClick={() => void addStake(n.id, n.requiredStake - n.stake)}>
                        Add {gut(n.requiredStake - n.stake)}
                      </button>
                    )}
                    {n.status === STATUS.Disconnect &&
                      (n.engaged ? (
                        <span className="muted">held by the escrow until its lease or reservation ends</span>
                      ) : (
                        !operator && (
                          <button onClick={() => void act("Deregistration", "deregister", n.id)}>Deregister</button>
                        )
                      ))}
                    {n.status === STATUS.None &&
                      (now < unbondingEnds ? (
                        <span data-testid="unbonding">unbonding: withdrawable from {at(unbondingEnds, now)}</span>
                      ) : operator ? (
                        <span className="muted">unbonded: the provider may withdraw it</span>
                      ) : (
                        <button
                          onClick={() =>
                            void run([
                              registryCall(`Stake withdrawal of node ${n.id}`, "withdrawStake", [n.id, address]),
                            ])
                          }
                        >
                          Withdraw stake
                        </button>
                      ))}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {checkable.length > 1 && (
        <p>
          <button onClick={() => void checkIn(checkable.map((n) => n.id))}>
            Check in all {checkable.length} nodes in one transaction
          </button>
        </p>
      )}
      <p className="muted">
        Idle and Reserved nodes check in at least every {duration(data.period)}; past that anyone may mark the node
        Disconnect, and a reservation it holds fails with a penalty from the stake. A leased node needs no check-in.
      </p>
      <TxStatus state={tx} />
    </section>
  );
}

/** What a lease's node agent answered for its best receipt. */
type HeldReceipt = { signed: SignedReceipt } | { none: true } | { error: string };

/**
 * The best receipt each lease's node agent holds, asked of the agent at the node's endpoint (the
 * node's URI, already read with the node): the receipts cost the page no chain or indexer read.
 * Asked again with each read of the page's data and every 30 s, as the customer's receipts advance.
 */
function useAgentReceipts(data: ProviderData): Map<bigint, HeldReceipt> {
  const [held, setHeld] = useState(new Map<bigint, HeldReceipt>());
  useEffect(() => {
    let live = true;
    const uris = new Map(data.nodes.map((n) => [n.id, n.uri]));
    const ask = async (l: LeaseInfo): Promise<[bigint, HeldReceipt]> => {
      try {
        const signed = await agentReceipt(endpointOf(l.nodeId, uris.get(l.nodeId) ?? ""), l.id);
        return [l.id, signed ? { signed } : { none: true }];
      } catch (error) {
        return [l.id, { error: explain(error) }];
      }
    };
    const load = () => void Promise.all(data.leases.map(ask)).then((rows) => live && setHeld(new Map(rows)));
    load();
    const timer = setInterval(load, 30_000);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [data]);
  return held;
}

/**
 * What a collect of `signed` pays lease `l` at `now`, as the escrow's `collectable`: the rise of the
 * lease's pay, and of the provider's earnings (the pay less the protocol fee on it).
 */
function payOf(l: LeaseInfo, signed: SignedReceipt, now: bigint): { pay: bigint; earned: bigint } {
  const terms = {
    start: BigInt(l.start),
    closedAt: BigInt(l.closedAt),
    rate: l.rate,
    deposit: l.deposit,
    paid: l.paid,
  };
  const { paid } = collectableAt(terms, signed.receipt.paidThrough, now);
  const feeBps = BigInt(l.feeBps);
  const pay = paid - l.paid;
  return { pay, earned: pay - (feeOf(paid, feeBps) - feeOf(l.paid, feeBps)) };
}

/** The provider's open and closing leases, its reservations waiting for an accept, and their actions. */
function ProviderLeases({ app, data, onDone }: SectionProps) {
  const config = useConfig();
  const { address } = useConnection();
  const [tx, setTx] = useState<TxState>({ phase: "idle" });
  const [receipt, setReceipt] = useState("");
  const now = useChainNow(data);
  const held = useAgentReceipts(data);
  const money = (amount: bigint, token: Address) => {
    const t = data.tokens.get(token)!;
    return formatAmount(amount, t.symbol, t.decimals);
  };
  const escrowCall = (label: string, functionName: string, args: readonly unknown[]): Call => ({
    label,
    address: app.contracts.escrow,
    abi: LeaseEscrow,
    functionName,
    args,
  });
  const run = async (call: Call) => {
    if (!address) return;
    await send(config, address, [call], setTx);
    onDone();
  };
  /** The pasted receipt (the package's receipt file format), or why it is not one. */
  const parsed = (() => {
    if (receipt.trim() === "") return undefined;
    try {
      return parseSignedReceipt(receipt, "the receipt");
    } catch (error) {
      return { error: explain(error) };
    }
  })();
  const signed = parsed && "receipt" in parsed ? parsed : undefined;
  return (
    <section className="card" id="leases">
      <h2>Leases and reservations</h2>
      {data.reservations.filter((r) => r.status === "Starting").length > 0 && (
        <table>
          <thead>
            <tr>
              <th>reservation</th>
              <th>node</th>
              <th>started, accept by</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {data.reservations
              .filter((r) => r.status === "Starting")
              .map((r) => (
                <tr key={String(r.id)} data-reservation={String(r.id)}>
                  <td>{String(r.id)}</td>
                  <td>{String(r.nodeId)}</td>
                  <td>{at(BigInt(r.acceptBy), now)}</td>
                  <td>
                    <button
                      onClick={() => void run(escrowCall(`Accept of reservation ${r.id}`, "acceptStart", [r.id]))}
                    >
                      Accept the start
                    </button>
                  </td>
                </tr>
              ))}
          </tbody>
        </table>
      )}
      {data.leases.length === 0 ? (
        <p className="muted">No open or closing leases.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>lease</th>
              <th>node</th>
              <th>status</th>
              <th>deposit</th>
              <th>collected</th>
              <th>the agent&apos;s receipt</th>
              <th>a collect pays now</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {data.leases.map((l) => (
              <tr key={String(l.id)} data-lease={String(l.id)}>
                <td>{String(l.id)}</td>
                <td>{String(l.nodeId)}</td>
                <td data-testid="lease-status">
                  {l.status === "Closing"
                    ? `closed by the customer: collect until ${at(BigInt(l.collectDeadline), now)}`
                    : "open"}
                </td>
                <td>{money(l.deposit, l.token)}</td>
                <td data-testid="collected">{money(l.paid, l.token)}</td>
                <AgentReceipt
                  lease={l}
                  held={held.get(l.id)}
                  now={now}
                  money={(amount) => money(amount, l.token)}
                  collect={(signed) =>
                    void run(
                      escrowCall(`Collect of lease ${l.id}`, "collect", [
                        l.id,
                        signed.receipt.paidThrough,
                        signed.signature,
                      ]),
                    )
                  }
                />
                <td>
                  <button
                    onClick={() =>
                      void run(
                        signed && signed.receipt.leaseId === l.id
                          ? escrowCall(`Close of lease ${l.id}`, "closeLease", [
                              l.id,
                              signed.receipt.paidThrough,
                              signed.signature,
                            ])
                          : escrowCall(`Close of lease ${l.id}`, "closeLease", [l.id, 0n, "0x"]),
                      )
                    }
                  >
                    {signed && signed.receipt.leaseId === l.id ? "Close with the receipt" : "Close"}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div className="row">
        <textarea
          aria-label="receipt"
          rows={3}
          cols={60}
          placeholder='a receipt from the customer ({"format": "gpufog-receipt-v1", …})'
          value={receipt}
          onChange={(e) => setReceipt(e.target.value)}
        />
        <button
          disabled={!signed}
          onClick={() =>
            signed &&
            void run(
              escrowCall(`Collect of lease ${signed.receipt.leaseId}`, "collect", [
                signed.receipt.leaseId,
                signed.receipt.paidThrough,
                signed.signature,
              ]),
            )
          }
        >
          Collect
        </button>
        {parsed && "error" in parsed && <span className="error">{parsed.error}</span>}
      </div>
      <p className="muted">
        A lease pays for the time the customer&apos;s receipts cover, up to now: collect the latest one (anyone may send
        it, the pay is the provider&apos;s), and close with it. The node&apos;s agent keeps the best receipt the
        customer sent and collects it on its own schedule; a receipt given by other means can be pasted here. A lease
        the customer closed can still be collected until its collect window ends.
      </p>
      <TxStatus state={tx} />
    </section>
  );
}

/** A lease's best receipt at its node's agent, what a collect of it pays now, and the collect. */
function AgentReceipt({
  lease,
  held,
  now,
  money,
  collect,
}: {
  lease: LeaseInfo;
  held: HeldReceipt | undefined;
  now: bigint;
  money: (amount: bigint) => string;
  collect: (signed: SignedReceipt) => void;
}) {
  if (held === undefined) return <td colSpan={2}>asking the node&apos;s agent…</td>;
  if ("none" in held)
    return (
      <td colSpan={2} className="muted">
        no receipt at the node&apos;s agent yet
      </td>
    );
  if ("error" in held)
    return (
      <td colSpan={2} className="error">
        {held.error}
      </td>
    );
  const { signed } = held;
  const { pay, earned } = payOf(lease, signed, now);
  const windowEnded = lease.status === "Closing" && now > BigInt(lease.collectDeadline);
  return (
    <>
      <td data-testid="receipt" data-paid-through={String(signed.receipt.paidThrough)}>
        paid through {at(signed.receipt.paidThrough, now)}
      </td>
      <td data-testid="collectable" data-at={String(now)} data-pay={String(pay)} data-earned={String(earned)}>
        {money(pay)} ({money(earned)} to the provider after the protocol fee){" "}
        <button disabled={pay === 0n || windowEnded} onClick={() => collect(signed)}>
          Collect the receipt
        </button>
      </td>
    </>
  );
}

function Earnings({ app, provider, operator, data, onDone }: SectionProps) {
  const config = useConfig();
  const { address } = useConnection();
  const [tx, setTx] = useState<TxState>({ phase: "idle" });
  const [to, setTo] = useState<string>(provider);
  const withdraw = async (token: Address) => {
    const { symbol, decimals } = data.tokens.get(token)!;
    if (!operator && !isAddress(to.trim())) {
      setTx({ phase: "failed", label: `Withdrawal of ${symbol}`, reason: `"${to}" is not an address` });
      return;
    }
    const call: Call = {
      label: `Withdrawal of ${symbol}`,
      address: app.contracts.escrow,
      abi: LeaseEscrow,
      functionName: operator ? "withdrawFor" : "withdraw",
      args: operator ? [provider, token] : [token, to.trim()],
      token: { symbol, decimals },
    };
    if (address && (await send(config, address, [call], setTx))) onDone();
  };
  return (
    <section className="card" id="earnings">
      <h2>Earnings</h2>
      {!operator && (
        <div className="row">
          <label>
            Pay to <input aria-label="withdraw to" value={to} size={44} onChange={(e) => setTo(e.target.value)} />
          </label>
        </div>
      )}
      <table>
        <thead>
          <tr>
            <th>token</th>
            <th>earned, not withdrawn</th>
            <th>protocol fee due</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {[...data.earnings].map(([token, e]) => {
            const { symbol, decimals } = data.tokens.get(token)!;
            return (
              <tr key={token} data-token={symbol}>
                <td>{symbol}</td>
                <td data-testid="earned">{formatAmount(e.earned, symbol, decimals)}</td>
                <td>{formatAmount(e.feesDue, symbol, decimals)}</td>
                <td>
                  <button disabled={e.earned === 0n} onClick={() => void withdraw(token)}>
                    Withdraw {symbol}
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <p className="muted">
        Earnings are net of the protocol fee, booked when a receipt is collected and forwarded to the buyback by anyone
        {operator ? "; the operator's withdrawal pays the provider, never elsewhere" : ""}.
      </p>
      <TxStatus state={tx} />
    </section>
  );
}

/** What a bucket still owes the provider once its unsold fees are bought back: its fee's unsold part. */
const unsoldFee = (b: ProviderBucket) => (b.fees === 0n ? 0n : (b.fee * b.unsold) / b.fees);

function Rewards({ app, operator, data, onDone }: Omit<SectionProps, "provider">) {
  const config = useConfig();
  const { address } = useConnection();
  const [tx, setTx] = useState<TxState>({ phase: "idle" });
  const tft = (amount: bigint) => formatAmount(amount, TFT.symbol, TFT.decimals);
  const claimable = data.claimable;
  const total = claimable.reduce((sum, b) => sum + b.claimable, 0n);
  const pending = new Map<string, bigint>();
  for (const b of data.buckets) pending.set(b.token, (pending.get(b.token) ?? 0n) + unsoldFee(b));
  const fmt = (token: string, amount: bigint) => {
    const t = data.tokens.get(token as Address)!;
    return formatAmount(amount, t.symbol, t.decimals);
  };
  const claim = async () => {
    const call: Call = {
      label: "Reward claim",
      address: app.contracts.emission,
      abi: BuybackEmission,
      functionName: "claim",
      args: [claimable.map((b) => ({ epoch: b.epoch, token: b.token as Address }))],
      token: TFT,
    };
    if (address && (await send(config, address, [call], setTx))) onDone();
  };
  const pendingText = [...pending].filter(([, a]) => a > 0n).map(([t, a]) => fmt(t, a));
  return (
    <section className="card" id="rewards">
      <h2>Mining rewards (TFT)</h2>
      <p>
        Claimable: <strong data-testid="claimable">{tft(total)}</strong>{" "}
        {!operator && (
          <button disabled={total === 0n} onClick={() => void claim()}>
            Claim
          </button>
        )}
      </p>
      <p data-testid="pending">
        Pending:{" "}
        {pendingText.length === 0
          ? "no fees waiting for a buyback."
          : `fees of ${pendingText.join(" and ")} not bought back yet; the TFT they buy, and so the reward, is known at the buyback.`}
      </p>
      {data.buckets.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>epoch</th>
              <th>your fee</th>
              <th>unsold</th>
              <th>TFT your fee bought</th>
              <th>claimed</th>
              <th>claimable</th>
            </tr>
          </thead>
          <tbody>
            {data.buckets.map((b) => (
              <tr key={`${b.epoch}:${b.token}`} data-bucket={String(b.epoch)}>
                <td>{String(b.epoch)}</td>
                <td>{fmt(b.token, b.fee)}</td>
                <td>{b.ended ? fmt(b.token, unsoldFee(b)) : "epoch running"}</td>
                <td>{tft(b.boughtByFee)}</td>
                <td>{tft(b.claimed)}</td>
                <td>{tft(b.claimable)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className="muted">
        Each protocol fee is booked into the bucket of its epoch and token; a buyback of the bucket releases TFT, and
        the miners&apos; share of it goes to the bucket&apos;s providers pro rata to their fees.
      </p>
      <TxStatus state={tx} />
    </section>
  );
}

function Register({
  app,
  catalog,
  onDone,
}: {
  app: AppConfig;
  catalog: { model: string; milliTu: bigint }[];
  onDone: () => void;
}) {
  const config = useConfig();
  const { address } = useConnection();
  const [model, setModel] = useState(catalog[0]?.model ?? "");
  const [gpus, setGpus] = useState("1");
  const [price, setPrice] = useState("1.0");
  const [uri, setUri] = useState("https://");
  const [stake, setStake] = useState<bigint>();
  const [tx, setTx] = useState<TxState>({ phase: "idle" });
  const count = /^[1-9][0-9]{0,4}$/.test(gpus.trim()) ? BigInt(gpus.trim()) : undefined;
  let priceWei: bigint | undefined;
  try {
    priceWei = parseUnits(price.trim(), 18);
  } catch {
    priceWei = undefined;
  }
  useEffect(() => {
    setStake(undefined);
    if (count === undefined || !model) return;
    client(config)
      .readContract({
        address: app.contracts.registry,
        abi: ProviderRegistry,
        functionName: "requiredStake",
        args: [modelId(model, "model") as Hex, count],
      })
      .then(setStake, () => setStake(undefined));
  }, [app, config, model, count]);

  const register = async () => {
    if (!address || stake === undefined || count === undefined || priceWei === undefined) return;
    const allowance = await client(config).readContract({
      address: app.contracts.gut,
      abi: erc20Abi,
      functionName: "allowance",
      args: [address, app.contracts.registry],
    });
    const calls: Call[] = [];
    if (allowance < stake) {
      calls.push({
        label: `Approve the stake of ${gut(stake)}`,
        address: app.contracts.gut,
        abi: erc20Abi,
        functionName: "approve",
        args: [app.contracts.registry, stake],
        token: GUT,
      });
    }
    calls.push({
      label: "Registration",
      address: app.contracts.registry,
      abi: ProviderRegistry,
      functionName: "register",
      args: [modelId(model, "model") as Hex, count, priceWei, app.contracts.gut, uri.trim()],
      token: GUT,
    });
    if (await send(config, address, calls, setTx)) onDone();
  };
  return (
    <section className="card" id="register">
      <h2>Register a node</h2>
      <div className="row">
        <label>
          GPU model{" "}
          <select aria-label="model" value={model} onChange={(e) => setModel(e.target.value)}>
            {catalog.map((m) => (
              <option key={m.model} value={m.model}>
                {m.model} ({formatTu(m.milliTu)} TU)
              </option>
            ))}
          </select>
        </label>
        <label>
          GPUs <input aria-label="GPU count" value={gpus} onChange={(e) => setGpus(e.target.value)} />
        </label>
        <label>
          GUT per TU-hour <input aria-label="price" value={price} onChange={(e) => setPrice(e.target.value)} />
        </label>
        <label>
          Endpoint <input aria-label="endpoint" value={uri} onChange={(e) => setUri(e.target.value)} />
        </label>
      </div>
      <p data-testid="stake">
        {count === undefined
          ? `"${gpus}" is not a GPU count`
          : priceWei === undefined
            ? `"${price}" is not a price in GUT`
            : stake === undefined
              ? "Reading the stake…"
              : `Registering locks a stake of ${gut(stake)} until the node is deregistered and its unbonding ends.`}
      </p>
      <button
        disabled={!address || stake === undefined || count === undefined || priceWei === undefined}
        onClick={() => void register()}
      >
        Register
      </button>
      <TxStatus state={tx} />
    </section>
  );
}
