import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import YAML from 'yaml';
import { repoRoot } from '../helpers/symbols.ts';
import { parseProm, requireBinary } from './helpers.ts';

const ops = (...p: string[]) => path.join(repoRoot, 'ops', ...p);
const PROMTOOL = '/usr/bin/promtool';

function promtool(args: string[], input?: string) {
  const r = spawnSync(PROMTOOL, args, { cwd: repoRoot, input, encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** Metric names (hft_*, nodejs_*) used by PromQL expressions. */
function metricNames(exprs: string[]): Set<string> {
  const out = new Set<string>();
  for (const e of exprs) for (const m of e.matchAll(/\b((?:hft|nodejs)_[a-z0-9_]+)\b/g)) out.add(m[1]);
  return out;
}

function alertExprs(): string[] {
  const doc = YAML.parse(readFileSync(ops('prometheus/alerts.yml'), 'utf8'));
  return doc.groups.flatMap((g: { rules: { expr: string }[] }) => g.rules.map((r) => r.expr));
}

function grafanaExprs(): string[] {
  const dash = JSON.parse(readFileSync(ops('grafana/dashboards/hft-platform.json'), 'utf8'));
  const exprs: string[] = [];
  for (const p of dash.panels) for (const t of p.targets ?? []) exprs.push(t.expr);
  for (const v of dash.templating.list) if (v.definition) exprs.push(v.definition);
  return exprs;
}

test('promtool: the Prometheus config and alert rules are valid and the alert unit tests pass', (t) => {
  if (requireBinary(t, PROMTOOL, 'prometheus') === null) return;
  const config = promtool(['check', 'config', ops('prometheus/prometheus.yml')]);
  assert.equal(config.code, 0, config.out);
  assert.match(config.out, /SUCCESS: 1 rule files found/);
  const rules = promtool(['check', 'rules', ops('prometheus/alerts.yml')]);
  assert.equal(rules.code, 0, rules.out);
  const unit = promtool(['test', 'rules', ops('prometheus/alerts.test.yml')]);
  assert.equal(unit.code, 0, unit.out);
  assert.match(unit.out, /SUCCESS/);
});

test('the alert rules cover feed stale, loop lag, reject rate, HALT, recorder backlog and disk level', () => {
  const doc = YAML.parse(readFileSync(ops('prometheus/alerts.yml'), 'utf8'));
  const names = doc.groups.flatMap((g: { rules: { alert: string }[] }) => g.rules.map((r) => r.alert));
  for (const a of [
    'HftFeedStale',
    'HftEventLoopLagHigh',
    'HftRejectRateHigh',
    'HftHalted',
    'HftRecorderBacklog',
    'HftDiskLevelCritical',
  ])
    assert.ok(names.includes(a), `alert ${a}`);
});

test('the Alertmanager config routes every alert to a defined receiver', () => {
  const am = YAML.parse(readFileSync(ops('alertmanager/alertmanager.yml'), 'utf8'));
  const receivers = new Set(am.receivers.map((r: { name: string }) => r.name));
  const used: string[] = [];
  const walk = (route: { receiver?: string; routes?: unknown[] }) => {
    if (route.receiver) used.push(route.receiver);
    for (const r of route.routes ?? []) walk(r as typeof route);
  };
  walk(am.route);
  assert.ok(am.route.receiver, 'the root route has a default receiver');
  for (const r of used) assert.ok(receivers.has(r), `receiver ${r} is defined`);
  const alerts = new Set(
    YAML.parse(readFileSync(ops('prometheus/alerts.yml'), 'utf8')).groups.flatMap(
      (g: { rules: { alert: string }[] }) => g.rules.map((r) => r.alert),
    ),
  );
  for (const rule of am.inhibit_rules)
    for (const m of rule.source_matchers) {
      const name = /^alertname="(.+)"$/.exec(m)?.[1];
      if (name) assert.ok(alerts.has(name), `inhibit source ${name} is an alert`);
    }
});

/** Collects a child's stdout until `re` matches; resolves with the match. */
function waitFor(child: ChildProcess, re: RegExp, ms: number): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re} in:\n${buf}`)), ms);
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = re.exec(buf);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
    child.on('exit', (code) => reject(new Error(`exited (${code}) before ${re}:\n${buf}`)));
  });
}

test('hft run sim prints the dashboard and metrics URLs; its live /metrics passes promtool check metrics', async (t) => {
  if (requireBinary(t, PROMTOOL, 'prometheus') === null) return;
  const child = spawn(
    process.execPath,
    [
      path.join(repoRoot, 'bin/hft.mjs'),
      'run',
      'sim',
      '--clock',
      'real',
      '--duration',
      '6',
      '--set',
      `store.path=${mkdtempSync(path.join(os.tmpdir(), 'hft-ops-'))}`,
      '--set',
      'ops.port=0',
    ],
    { cwd: repoRoot, env: { ...process.env, HFT_LOG_LEVEL: 'error' }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise<number | null>((r) => child.on('exit', r));
  try {
    const [, dashboard, metrics] = await waitFor(
      child,
      /dashboard: (http:\/\/127\.0\.0\.1:\d+\/)\n\s*metrics:\s+(\S+)\n\s*control token \(HALT, resume, cancel all\): [0-9a-f]{32}\n/,
      60_000,
    );
    assert.equal(metrics, `${dashboard}metrics`);
    await new Promise((r) => setTimeout(r, 3000)); // let it trade a little
    const page = await fetch(dashboard);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<title>hft-platform ops<\/title>/);
    const res = await fetch(metrics);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const check = promtool(['check', 'metrics'], text);
    assert.equal(check.code, 0, check.out);
    assert.equal(check.out.trim(), '', 'no lint findings');

    // Every metric the alert rules and the Grafana dashboard query exists in the live output.
    const { types, samples } = parseProm(text);
    const families = new Set(types.keys());
    for (const name of metricNames([...alertExprs(), ...grafanaExprs()])) {
      const base = name.replace(/_(bucket|sum|count)$/, '');
      assert.ok(families.has(name) || types.get(base) === 'histogram', `${name} is exported`);
    }
    assert.ok((samples.get('hft_md_events_total{}') ?? 0) > 0, 'market data flowed');
    assert.ok((samples.get('hft_stage_latency_seconds_count{stage="lob"}') ?? 0) > 0);
    // Recording into a fresh store: recorder health is exported, disk level and WAL included.
    assert.equal(samples.get('hft_recorder_disk_level{}'), 0);
    assert.equal(typeof samples.get('hft_recorder_wal_backlog_bytes{}'), 'number');
    assert.ok(
      (samples.get('hft_queue_events_out_total{queue="recorder_market_data"}') ?? 0) > 0,
      'rows written',
    );
    assert.equal(samples.get('hft_service_up{service="recorder"}'), 1);
  } finally {
    const code = await exited;
    assert.equal(code, 0, 'hft run sim exits cleanly after --duration');
  }
});
