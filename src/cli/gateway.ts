import { closeSync, openSync, writeSync } from 'node:fs';
import os from 'node:os';
import type { Command } from 'commander';
import type { Settings } from '../config/schema.ts';
import type { OrderCommand } from '../contracts/orders.ts';
import type { Venue, VenueHandlers } from '../contracts/venue.ts';
import { UserError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { MONEY_SCALE } from '../core/money.ts';
import type { TradingSystem } from '../services/trading-system.ts';
import { type ConfigFlags, checkOutputFile } from './context.ts';
import { natsUrlFlag, nonNegativeFlag } from './flag-values.ts';
import { configOptions } from './options.ts';
import { runSystem, type SystemHooks } from './run.ts';

type NatsSettings = Settings['gateway']['nats'];

/** This process's name on the account's subjects and in the lease: the configured one, else host and pid. */
export function processName(n: NatsSettings): string {
  if (n.name !== '') return n.name;
  return `hft-${os.hostname()}-${process.pid}`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64);
}

/**
 * A strategy runner's side (gateway.mode nats): opens the sender, claims a runner number, and
 * wraps the run's venue so orders go to the gateway (market data stays the venue's).
 */
export async function runnerHooks(n: NatsSettings, log: Logger): Promise<SystemHooks> {
  const { IntentSender } = await import('../gateway/nats-client.ts');
  const { GatewayVenue } = await import('../gateway/remote-venue.ts');
  const runner = processName(n);
  const sender = await withTimeout(
    IntentSender.open({ url: n.url, account: n.account, runner, leaseTtlMs: n.lease_ttl_ms }),
    n.url,
  );
  const runnerNo = await sender.claimRunnerNo();
  // Orders to an account no gateway leads wait in its stream unanswered: the run only warned that
  // the venue did not answer (a runner on another account than the gateway's looked the same).
  if ((await sender.leader()) === null)
    process.stderr.write(
      `gateway: no gateway leads account '${n.account}' on ${n.url} now: orders wait until one does (hft gateway run --nats ${n.url} --account ${n.account}; the account of this run is gateway.nats.account)\n`,
    );
  log.info({ url: n.url, account: n.account, runner, runner_no: runnerNo }, 'intents go to the NATS gateway');
  let gv: InstanceType<typeof GatewayVenue> | null = null;
  let system: TradingSystem | null = null;
  return {
    wrapVenue: (venue) => {
      gv = new GatewayVenue(
        venue,
        sender,
        runnerNo,
        symbolsOf(() => system),
        log,
      );
      return gv;
    },
    attach: async (sys) => {
      system = sys;
      return async () => {
        await gv?.drain(5000);
        gv?.close();
        if (gv !== null)
          log.info(
            { ...gv.counters, runner_no: runnerNo },
            'NATS gateway: intents sent and answers received',
          );
        await sender.close();
      };
    },
    abort: async () => {
      gv?.close();
      await sender.close();
    },
  };
}

/** The run's symbols, read when the first order goes (the venue is wrapped before the system exists). */
function symbolsOf(sys: () => TradingSystem | null) {
  return new Proxy([] as TradingSystem['symbols'], {
    get: (t, k) => Reflect.get(sys()?.symbols ?? t, k),
  });
}

/**
 * The gateway's set-up on the NATS server at `url`, as a user error naming it. A server without
 * JetStream was reported as "no NATS server at <url>": it is there, and needs `-js`.
 */
function withTimeout<T>(p: Promise<T>, url: string, ms = 15_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.catch((err: Error) => {
      const hint = /jetstream (is )?not enabled/i.test(err.message) ? ' (start nats-server with -js)' : '';
      throw new UserError(`gateway: NATS at ${url}: ${err.message}${hint}`);
    }),
    new Promise<T>((_r, reject) => {
      timer = setTimeout(
        () => reject(new UserError(`gateway: no answer from a NATS server at ${url} in ${ms / 1000} s`)),
        ms,
      );
    }),
  ]).finally(() => clearTimeout(timer));
}

interface GatewayFlags extends ConfigFlags {
  nats?: string;
  account?: string;
  id?: string;
  leaseTtlMs?: string;
  duration?: string;
  summaryJson?: string;
  record?: boolean;
  ordersLog?: string;
}

/** `hft gateway run`: the account's order/risk gateway as a service over NATS JetStream. */
export function registerGateway(cmd: Command): void {
  configOptions(
    cmd
      .command('run')
      .description(
        "the account's order/risk gateway over NATS JetStream: intents from every runner, one leader per account (lease), orders to the venue",
      )
      .option('--nats <url>', 'NATS server, nats://host:port (gateway.nats.url)')
      .option('--account <name>', 'account: stream, ledger and lease shared by its runners and gateways')
      .option('--id <name>', "this gateway's name in the lease (gateway.nats.name)")
      .option('--lease-ttl-ms <ms>', 'leader lease time to live (gateway.nats.lease_ttl_ms)')
      .option('--duration <seconds>', 'stop after this many seconds (0 = until Ctrl+C)')
      .option('--summary-json <file>', 'also write the exit summary as JSON')
      .option('--no-record', 'do not record to the store')
      .option(
        '--orders-log <file>',
        'append every order and cancel sent to the venue, and every lease change, as JSON lines (audit)',
      ),
  ).action(runGateway);
}

async function runGateway(flags: GatewayFlags): Promise<void> {
  const extra: { key: string; value: unknown; label: string }[] = [
    { key: 'run.clock', value: 'real', label: 'a gateway runs on the wall clock' },
  ];
  const set = (key: string, value: unknown, flag: string) =>
    extra.push({ key, value, label: `CLI flag ${flag}` });
  if (flags.nats !== undefined) {
    set('gateway.nats.url', natsUrlFlag('--nats', flags.nats), '--nats');
  }
  if (flags.account !== undefined) set('gateway.nats.account', flags.account, '--account');
  if (flags.id !== undefined) set('gateway.nats.name', flags.id, '--id');
  for (const [flag, key, v] of [
    ['--lease-ttl-ms', 'gateway.nats.lease_ttl_ms', flags.leaseTtlMs],
    ['--duration', 'run.duration_s', flags.duration],
  ] as const) {
    if (v === undefined) continue;
    set(key, nonNegativeFlag(flag, v), flag);
  }
  const audit = flags.ordersLog === undefined ? null : checkOutputFile('--orders-log', flags.ordersLog);
  // Written with a system call per line: a gateway killed mid-run keeps every line it wrote.
  const fd = audit === null ? null : openSync(audit, 'a');
  const line = (o: object) => {
    if (fd !== null) writeSync(fd, `${JSON.stringify({ t: Date.now(), ...o })}\n`);
  };
  let service: { readonly metrics: { leaseRevision: number }; stop(): Promise<void> } | null = null;
  let id = '';
  let system: TradingSystem | null = null;
  const hooks: SystemHooks = {
    wrapVenue:
      fd === null
        ? undefined
        : (v) =>
            new AuditedVenue(v, (o) =>
              line({
                id,
                ...o,
                lease: service?.metrics.leaseRevision ?? 0,
                // Open-order notional of the account before this order goes (currency units).
                exposure: (system?.gateway.exposure.total ?? 0) / MONEY_SCALE,
              }),
            ),
    attach: async (sys) => {
      system = sys;
      const { NatsGatewayService } = await import('../gateway/nats-gateway.ts');
      const n = sys.opts.settings.gateway.nats;
      id = processName(n);
      const svc = await withTimeout(
        NatsGatewayService.start(sys.gateway, {
          url: n.url,
          account: n.account,
          id,
          leaseTtlMs: n.lease_ttl_ms,
          maxInFlight: n.max_inflight,
          log: sys.opts.log,
          symbolIds: new Map(sys.symbols.map((s) => [s.code, s.id])),
          onLeaderChange: (leader, revision, sinceRenewalMs) =>
            line({ id, event: leader ? 'leader' : 'standby', lease: revision, sinceRenewalMs }),
        }),
        n.url,
      );
      service = svc;
      sys.gatewayService = svc.metrics;
      sys.router.listen(svc.onReport);
      if (fd !== null)
        sys.router.listen((r) => {
          if (r.type === 'fill' || r.type === 'partial')
            line({ id, fill: r.orderId, side: r.side, qty: r.lastQty, px: r.lastPx });
          else if (r.type === 'canceled' || r.type === 'reject') line({ id, done: r.orderId, type: r.type });
        });
      process.stdout.write(
        `gateway ${id}: account ${n.account} on ${n.url}, ${svc.metrics.leader ? 'leader' : 'standby'} (lease ttl ${n.lease_ttl_ms} ms)\n`,
      );
      return async () => {
        await svc.stop();
        sys.opts.log.info({ id, ...svc.metrics }, 'gateway stopped');
        if (fd !== null) closeSync(fd);
      };
    },
    abort: async () => {
      await service?.stop();
      if (fd !== null) closeSync(fd);
    },
  };
  return runSystem(flags, extra, 'gateway', hooks);
}

/** The gateway's venue with every order and cancel written to the audit log before it goes out. */
class AuditedVenue implements Venue {
  readonly name: string;
  readonly reportsOrderIds?: boolean;
  readonly postOnly?: boolean;

  constructor(
    private readonly inner: Venue,
    private readonly write: (o: object) => void,
  ) {
    this.name = inner.name;
    this.reportsOrderIds = inner.reportsOrderIds;
    this.postOnly = inner.postOnly;
  }

  connect(h: VenueHandlers): void {
    this.inner.connect(h);
  }
  start(): void {
    this.inner.start();
  }
  stop(): void {
    this.inner.stop();
  }
  submit(cmd: OrderCommand): void {
    const it = cmd.intent;
    this.write({
      order: cmd.orderId,
      strategy: it.strategyId,
      symbol: it.symbolId,
      side: it.side,
      price: it.price,
      qty: it.qty,
    });
    this.inner.submit(cmd);
  }
  cancel(orderId: number): void {
    this.write({ cancel: orderId });
    this.inner.cancel(orderId);
  }
}
