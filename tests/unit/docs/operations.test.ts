import fs from 'node:fs';
import path from 'node:path';
import { createMetrics } from '../../../src/metrics';

/**
 * Holds docs/operations.md and the Grafana dashboard to the code, so neither rots: the doc's
 * metrics tables list exactly the metrics the service registers (with their types and labels),
 * and every PromQL expression of the doc's alerts and of the dashboard names only metrics and
 * labels that exist. Pure: it builds the registry (createMetrics) and reads files.
 */

const root = path.resolve(__dirname, '..', '..', '..');
const read = (p: string): string => fs.readFileSync(path.join(root, p), 'utf8');
const doc = read('docs/operations.md');
const dashboard = JSON.parse(read('docs/grafana/counter-service.json')) as Dashboard;

interface Registered {
  type: string;
  labels: string[];
}

/** Every metric the service exports: the registry createMetrics builds (Cassandra's included). */
function registered(): Map<string, Registered> {
  const out = new Map<string, Registered>();
  for (const m of createMetrics().registry.getMetricsAsArray()) {
    const { labelNames } = m as unknown as { labelNames?: string[] };
    out.set(m.name, { type: String(m.type), labels: [...(labelNames ?? [])] });
  }
  return out;
}
const metrics = registered();

// ---- a small PromQL scanner: enough to find metric names, functions and label names ----

const FUNCTIONS = new Set(
  ('abs absent absent_over_time avg avg_over_time bottomk ceil changes clamp clamp_max clamp_min count count_over_time ' +
    'count_values deriv delta exp floor group histogram_quantile idelta increase irate label_join label_replace last_over_time ' +
    'ln log2 log10 max max_over_time min min_over_time predict_linear quantile quantile_over_time rate resets round scalar sort ' +
    'sort_desc sqrt stddev stddev_over_time stdvar sum sum_over_time time timestamp topk vector').split(' '),
);
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'atan2']);
const GROUPING = /\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g;
const SERIES_LABELS = ['instance', 'job'];

interface Scan {
  /** Metric names, in order, one per selector. */
  metrics: string[];
  /** Label names in matchers and grouping clauses. */
  labels: string[];
  /** The text of each `{...}` matcher block. */
  matchers: string[];
  problems: string[];
}

function scan(expr: string): Scan {
  const problems: string[] = [];
  const labels: string[] = [];
  const matchers: string[] = [];
  let depth = 0;
  for (const c of expr.replace(/"(?:[^"\\]|\\.)*"/g, '')) {
    if (c === '(') depth++;
    if (c === ')' && --depth < 0) break;
  }
  if (depth !== 0) problems.push(`unbalanced parentheses in ${expr}`);
  // Strings out first (a matcher's value may hold braces), kept to put back into the matchers.
  const strings: string[] = [];
  let s = expr.replace(/"(?:[^"\\]|\\.)*"/g, (str) => `"${strings.push(str) - 1}"`);
  s = s.replace(/\{([^}]*)\}/g, (_, body: string) => {
    matchers.push(body.replace(/"(\d+)"/g, (_q, i: string) => strings[Number(i)]!));
    for (const m of body.matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)/g)) labels.push(m[1]!);
    return ' ';
  });
  s = s.replace(/"\d+"/g, ' ').replace(/\[[^\]]*\]/g, ' ');
  s = s.replace(GROUPING, (_, _kw: string, list: string) => {
    labels.push(...list.split(',').map((l) => l.trim()).filter(Boolean));
    return ' ';
  });
  s = s.replace(/(?<![A-Za-z0-9_:.])\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?:ms|[smhdwy])*/g, ' ');
  const found: string[] = [];
  for (const m of s.matchAll(/([A-Za-z_:][A-Za-z0-9_:]*)(\s*\()?/g)) {
    const [, id, call] = m;
    if (call) {
      if (!FUNCTIONS.has(id!)) problems.push(`unknown function ${id}() in ${expr}`);
    } else if (!KEYWORDS.has(id!)) found.push(id!);
  }
  return { metrics: found, labels, matchers, problems };
}

/** The registered metric a series name belongs to (a histogram's _bucket/_sum/_count series). */
function metricOf(series: string, known: Map<string, Registered>): string | undefined {
  if (known.has(series)) return series;
  const base = series.replace(/_(bucket|sum|count)$/, '');
  return known.get(base)?.type === 'histogram' ? base : undefined;
}

/** What is wrong with one expression: unknown metrics, functions or labels. */
function checkExpr(expr: string, known: Map<string, Registered>, extraMetrics: string[] = []): string[] {
  const r = scan(expr);
  const problems = [...r.problems];
  if (r.metrics.length === 0) problems.push(`no metric in ${expr}`);
  const allowed = new Set([...SERIES_LABELS, 'le']);
  for (const series of r.metrics) {
    if (extraMetrics.includes(series)) continue;
    const base = metricOf(series, known);
    if (!base) problems.push(`${series} is not exported (in ${expr})`);
    else for (const l of known.get(base)!.labels) allowed.add(l);
  }
  for (const l of r.labels) if (!allowed.has(l)) problems.push(`label ${l} is none of its metrics' (in ${expr})`);
  return problems;
}

describe('the PromQL scanner (what the checks below rely on)', () => {
  const known = new Map<string, Registered>([
    ['req_total', { type: 'counter', labels: ['code'] }],
    ['lat_seconds', { type: 'histogram', labels: [] }],
  ]);

  it('finds metrics, labels and functions through strings, ranges, grouping and numbers', () => {
    const r = scan('histogram_quantile(0.99, sum by (le, code) (rate(lat_seconds_bucket{job=~"$job", x="a{b} c"}[$__rate_interval]))) > 1e3 and req_total offset 5m');
    expect(r.metrics).toEqual(['lat_seconds_bucket', 'req_total']);
    expect(r.labels).toEqual(['job', 'x', 'le', 'code']);
    expect(r.problems).toEqual([]);
  });

  it('accepts a correct expression and histogram series', () => {
    expect(checkExpr('sum by (code) (rate(req_total{job="j"}[5m])) / sum(rate(lat_seconds_count[5m]))', known)).toEqual([]);
  });

  it('flags a metric that is not exported, a label it does not have, an unknown function, bad parentheses', () => {
    expect(checkExpr('rate(req_totl[5m])', known)).toEqual(['req_totl is not exported (in rate(req_totl[5m]))']);
    expect(checkExpr('sum by (status) (rate(req_total[5m]))', known)[0]).toMatch(/label status/);
    expect(checkExpr('rat(req_total[5m])', known)[0]).toMatch(/unknown function rat/);
    expect(checkExpr('sum(rate(req_total[5m])', known)[0]).toMatch(/unbalanced/);
    expect(checkExpr('rate(req_total_bucket[5m])', known)[0]).toMatch(/not exported/); // a counter has no buckets
  });
});

describe('docs/operations.md', () => {
  const rows = [...doc.matchAll(/^\| `([a-z_:][a-z0-9_:]*)` \| (counter|gauge|histogram|summary) \|(.*)$/gm)].map((m) => ({
    name: m[1]!,
    type: m[2]!,
    rest: m[3]!,
  }));

  it('has a metrics-table row for every registered metric, with its type and every label', () => {
    expect(metrics.size).toBeGreaterThan(40);
    const problems: string[] = [];
    for (const [name, { type, labels }] of metrics) {
      const row = rows.find((r) => r.name === name);
      if (!row) {
        problems.push(`${name}: no row`);
        continue;
      }
      if (row.type !== type) problems.push(`${name}: documented as ${row.type}, registered as ${type}`);
      const labelsCell = row.rest.split(' | ')[0]!;
      for (const l of labels) if (!labelsCell.includes(`\`${l}\``)) problems.push(`${name}: label ${l} not documented`);
    }
    expect(problems).toEqual([]);
  });

  it('documents no metric the service does not register, each once', () => {
    const names = rows.map((r) => r.name);
    expect(names.filter((n) => !metrics.has(n))).toEqual([]);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
  });

  it('names every Cassandra statement label and every instrumented store operation', () => {
    const dir = path.join(root, 'src', 'store', 'cassandra');
    const statements = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) => [...fs.readFileSync(path.join(dir, f), 'utf8').matchAll(/\bnamed\(\s*'([^']+)'/g)].map((m) => m[1]!));
    expect(statements.length).toBeGreaterThan(8);
    const cassandraRow = rows.find((r) => r.name === 'cassandra_requests_total')!.rest;
    expect(statements.filter((s) => !cassandraRow.includes(`\`${s}\``))).toEqual([]);

    const ops = [...read('src/instrument/seams.ts').matchAll(/\bcall\(ins, '([A-Za-z]+)'/g)].map((m) => m[1]!);
    expect(ops.length).toBeGreaterThan(8);
    const callsRow = rows.find((r) => r.name === 'counter_store_calls_total')!.rest;
    expect(ops.filter((op) => !callsRow.includes(`\`${op}\``))).toEqual([]);
  });

  it('every metric is registered in src/metrics.ts (no other module imports prom-client)', () => {
    const importers: string[] = [];
    const walk = (dir: string): void => {
      for (const e of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory() && e.name !== 'generated') walk(p);
        else if (e.name.endsWith('.ts') && /from 'prom-client'/.test(fs.readFileSync(path.join(root, p), 'utf8'))) importers.push(p);
      }
    };
    for (const d of ['src', 'rollup', 'resolvers']) walk(d);
    expect(importers).toEqual([path.join('src', 'metrics.ts')]);
  });

  it('its suggested alerts use only exported metrics and labels, and the scrape job it configures', () => {
    const block = /```yaml\n(groups:[\s\S]*?)```/.exec(doc)?.[1];
    expect(block).toBeDefined();
    const exprs = [...block!.matchAll(/^\s+expr: (.+)$/gm)].map((m) => m[1]!);
    expect(exprs.length).toBeGreaterThanOrEqual(8);
    // `up` is Prometheus' own series for a scrape target.
    expect(exprs.flatMap((e) => checkExpr(e, metrics, ['up']))).toEqual([]);
    const job = /job_name: (\S+)/.exec(doc)?.[1];
    expect(job).toBe('counter-service');
    expect(exprs.filter((e) => !e.includes(`job="${job}"`))).toEqual([]);
  });

  it('links the dashboard, and README and docs/architecture.md link it', () => {
    expect(doc).toContain('(grafana/counter-service.json)');
    expect(read('README.md')).toContain('(docs/operations.md)');
    expect(read('docs/architecture.md')).toContain('(operations.md)');
  });
});

interface Target {
  refId?: string;
  expr?: string;
  datasource?: { type?: string; uid?: string };
}
interface Panel {
  id?: number;
  type?: string;
  title?: string;
  gridPos?: { h: number; w: number; x: number; y: number };
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
}
interface Variable {
  name: string;
  type: string;
  datasource?: { uid?: string };
  query?: { query?: string } | string;
}
interface Dashboard {
  __inputs?: { name: string; type: string; pluginId: string }[];
  __requires?: { type: string; id: string }[];
  title?: string;
  uid?: string;
  schemaVersion?: number;
  panels?: Panel[];
  templating?: { list?: Variable[] };
}

describe('docs/grafana/counter-service.json', () => {
  const DS = '${DS_PROMETHEUS}';
  const panels = dashboard.panels ?? [];
  const graphs = panels.filter((p) => p.type !== 'row');
  const exprs = graphs.flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? ''));

  it('is importable: a Prometheus datasource input, what it requires, a title, a uid, a schema version', () => {
    expect(dashboard.__inputs).toEqual([expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' })]);
    expect(dashboard.__requires).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'grafana', id: 'grafana' }), expect.objectContaining({ type: 'datasource', id: 'prometheus' })]),
    );
    for (const t of new Set(graphs.map((p) => p.type))) expect(dashboard.__requires).toContainEqual(expect.objectContaining({ type: 'panel', id: t }));
    expect(dashboard.title).toBeTruthy();
    expect(dashboard.uid).toMatch(/^[A-Za-z0-9_-]{1,40}$/);
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
  });

  it('has panels with unique ids, every one on the input datasource, laid out without overlap', () => {
    expect(graphs.length).toBeGreaterThanOrEqual(20);
    const ids = panels.map((p) => p.id);
    expect(ids.every((id) => Number.isInteger(id) && id! > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    const problems: string[] = [];
    for (const p of graphs) {
      if (p.datasource?.type !== 'prometheus' || p.datasource.uid !== DS) problems.push(`${p.title}: datasource`);
      const targets = p.targets ?? [];
      if (targets.length === 0) problems.push(`${p.title}: no targets`);
      if (new Set(targets.map((t) => t.refId)).size !== targets.length) problems.push(`${p.title}: refIds`);
      for (const t of targets) if (t.datasource?.uid !== DS || !t.refId || !t.expr) problems.push(`${p.title}: target ${t.refId}`);
    }
    const cells = new Set<string>();
    for (const p of panels) {
      const g = p.gridPos;
      if (!g || g.x < 0 || g.w < 1 || g.x + g.w > 24 || g.h < 1) {
        problems.push(`${p.title}: gridPos`);
        continue;
      }
      for (let x = g.x; x < g.x + g.w; x++)
        for (let y = g.y; y < g.y + g.h; y++) {
          if (cells.has(`${x},${y}`)) problems.push(`${p.title}: overlaps at ${x},${y}`);
          cells.add(`${x},${y}`);
        }
    }
    expect(problems).toEqual([]);
  });

  it('templates job and instance from a service metric, on the input datasource', () => {
    const vars = dashboard.templating?.list ?? [];
    for (const name of ['job', 'instance']) {
      const v = vars.find((x) => x.name === name);
      expect(v).toMatchObject({ type: 'query', datasource: { uid: DS } });
      const q = typeof v!.query === 'string' ? v!.query : v!.query?.query ?? '';
      const m = /^label_values\((.+), (\w+)\)$/.exec(q);
      expect(m?.[2]).toBe(name);
      expect(checkExpr(m![1]!, metrics)).toEqual([]);
    }
  });

  it('queries only exported metrics and their labels, every selector filtered by $job and $instance', () => {
    expect(exprs.length).toBeGreaterThanOrEqual(30);
    expect(exprs.flatMap((e) => checkExpr(e, metrics))).toEqual([]);
    const unfiltered = exprs.filter((e) => {
      const r = scan(e);
      return r.matchers.length !== r.metrics.length || r.matchers.some((m) => !m.includes('job=~"$job"') || !m.includes('instance=~"$instance"'));
    });
    expect(unfiltered).toEqual([]);
  });

  it('shows every service metric (not only the process ones) in some panel', () => {
    const used = new Set(exprs.flatMap((e) => scan(e).metrics.map((s) => metricOf(s, metrics))));
    const service = [...metrics.keys()].filter((n) => !/^(process|nodejs)_/.test(n));
    expect(service.filter((n) => !used.has(n))).toEqual([]);
  });

  it('never names a datasource by a fixed uid', () => {
    const uids = [...JSON.stringify(dashboard).matchAll(/"uid":"([^"]*)"/g)].map((m) => m[1]);
    expect(uids.filter((u) => u !== DS && u !== '-- Grafana --' && u !== dashboard.uid)).toEqual([]);
  });
});
