import type { Queryable } from '../db/postgres.js';
import { qualified } from '../db/quote.js';
import type { ExhaustionForecast, SequenceFinding } from './sequences-types.js';

/**
 * Days until a sequence runs out, from PostgreSQL's own statistics: the inserts counted into its tables
 * (pg_stat_get_tuples_inserted) over the period the counters cover. Read only for the few findings that
 * need one (near exhaustion, or a type trap), so a scan of 10,000 healthy tables pays nothing.
 */

export interface StatsPeriod {
  since: Date;
  now: Date;
  /** True when the database's statistics were reset at `since`; false: never reset, `since` is the server start. */
  reset: boolean;
}

const DAY_MS = 86_400_000;

/** Whether a finding earns a forecast: it is using up its range, or its type sets a trap. */
export function wantsForecast(f: SequenceFinding): boolean {
  return (f.status === 'ok' || f.status === 'lagging') && (f.exhaustion !== 'ok' || f.typeTrap !== undefined);
}

/** Pure: the forecast for a finding given the inserts counted into its tables over `period`. */
export function forecastFor(f: SequenceFinding, inserts: number, period: StatsPeriod): ExhaustionForecast | undefined {
  if (!f.limit || !f.nextValue) return undefined;
  const days = (period.now.getTime() - period.since.getTime()) / DAY_MS;
  if (days <= 0) return undefined;
  const inc = BigInt(f.increment);
  const step = inc < 0n ? -inc : inc;
  let position = BigInt(f.nextValue) - inc;
  if (f.dataMax !== null && (inc > 0n ? BigInt(f.dataMax) > position : BigInt(f.dataMax) < position)) position = BigInt(f.dataMax);
  const left = (inc > 0n ? BigInt(f.limit) - position : position - BigInt(f.limit)) / step;
  const perDay = inserts / days;
  const basis =
    `${inserts} insert${inserts === 1 ? '' : 's'} counted by pg_stat_user_tables.n_tup_ins in ${days.toFixed(1)} days ` +
    (period.reset
      ? `since the statistics reset of ${period.since.toISOString()}`
      : `since the server started (${period.since.toISOString()}; statistics never reset, so the counts may span earlier restarts and the estimate errs short)`) +
    '; explicit-id inserts count too, a reset of one table does not show';
  if (inserts <= 0) return { days: null, insertsPerDay: 0, basis: `no estimate: ${basis}` };
  return { days: Math.max(0, Math.floor(Number(left) / perDay)), insertsPerDay: Math.round(perDay * 10) / 10, basis };
}

let periodCache: WeakMap<object, Promise<StatsPeriod | undefined>> = new WeakMap();

/** The period the statistics cover, read once per session. */
function statsPeriod(client: Queryable): Promise<StatsPeriod | undefined> {
  let p = periodCache.get(client);
  if (!p) {
    p = client
      .query<{ since: Date; now: Date; reset: boolean }>(
        `select coalesce(stats_reset, pg_postmaster_start_time()) as since, now() as now, stats_reset is not null as reset from pg_stat_database where datname = current_database()`,
      )
      .then((r) => r.rows[0])
      .catch(() => undefined);
    periodCache.set(client, p);
  }
  return p;
}

/** Adds forecasts to the findings that want one: one statement for all of them. Best effort: no statistics, no forecast. */
export async function addForecasts(client: Queryable, findings: SequenceFinding[]): Promise<void> {
  const wanted = findings.filter(wantsForecast);
  if (!wanted.length) return;
  const period = await statsPeriod(client);
  if (!period) return;
  const names = wanted.flatMap((f, i) => [...new Set(f.consumers.map((c) => qualified(c.schema, c.table)))].map((t) => ({ i, t })));
  try {
    const { rows } = await client.query<{ i: number; n: string }>(
      `select i, coalesce(sum(pg_stat_get_tuples_inserted(to_regclass(t))), 0)::text as n from unnest($1::int[], $2::text[]) as u(i, t) group by i`,
      [names.map((x) => x.i), names.map((x) => x.t)],
    );
    for (const row of rows) {
      const forecast = forecastFor(wanted[Number(row.i)]!, Number(row.n), period);
      if (forecast) wanted[Number(row.i)]!.forecast = forecast;
    }
  } catch {
    // Statistics are a bonus: a scan never fails over them.
  }
}

/** For tests: forget the periods read. */
export function resetStatsPeriods(): void {
  periodCache = new WeakMap();
}
