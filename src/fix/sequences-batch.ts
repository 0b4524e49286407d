import type pg from 'pg';
import { consumerReadSql, typeBounds, type SequenceFinding } from '../checks/sequences.js';
import { cancelBackends, qualified, quoteLiteral, withClient, type PostgresDatabase } from '../db/postgres.js';
import { DEFAULT_SESSION } from '../db/session.js';
import type { FixGoal, SequenceFixStatus } from './sequences.js';

/**
 * --fix at the server's own speed: many sequences per round trip, in a PL/pgSQL DO block that commits
 * after each one. Every guarantee of the one-at-a-time path holds inside the loop: each sequence is its own
 * transaction, its tables locked IN SHARE ROW EXCLUSIVE MODE under lock_timeout (set with set_config(…,
 * true) in each transaction, so a transaction-mode pooler keeps it), the sequence, its bounds and the data
 * re-read under the lock, setval only forwards. A refused lock, a missing privilege or any other error is
 * caught in that sequence's own block and reported; the loop goes on. Ctrl-C cancels the statement: the
 * sequence in flight rolls back, those committed stay repaired. Each outcome comes back as a NOTICE after
 * its COMMIT, so "fixed" is only ever said of a committed change.
 */

export interface BatchItem {
  /** Index in the caller's list. */
  index: number;
  finding: SequenceFinding;
  goal: FixGoal;
}

export interface BatchOutcome {
  index: number;
  status: SequenceFixStatus;
  before: string | null;
  after: string | null;
  /** The statement run, for the report. */
  sql?: string;
  message?: string;
}

const NOTICE_PREFIX = 'healfix-fix ';

/** Sequences per DO block: small enough to keep the statement short, large enough that round trips vanish. */
export const BATCH_SEQUENCES = 500;

/** The values row one sequence contributes to the DO block. */
function itemRow(item: BatchItem): string {
  const f = item.finding;
  const descending = BigInt(f.increment) < 0n;
  const tables = [...new Set(f.consumers.map((c) => qualified(c.schema, c.table)))];
  const reads = f.consumers.filter((c) => !c.skipped).map((c) => `(${consumerReadSql(c, descending)})`);
  const maxSql = reads.length ? `select ${descending ? 'min' : 'max'}(v::numeric) from (${reads.join(' union all ')}) s` : 'select null::numeric';
  // The consumer column types narrow the usable range, as evaluateFinding() does.
  let lo: bigint | null = null;
  let hi: bigint | null = null;
  for (const c of f.consumers) {
    const bounds = typeBounds(c);
    if (!bounds) continue;
    if (lo === null || bounds[0] > lo) lo = bounds[0];
    if (hi === null || bounds[1] < hi) hi = bounds[1];
  }
  const num = (v: bigint | string | null | undefined) => (v === null || v === undefined ? 'null::numeric' : `${v}::numeric`);
  return `(${item.index}, ${quoteLiteral(qualified(f.schema, f.name))}, ${quoteLiteral(`lock table ${tables.join(', ')} in share row exclusive mode`)}, ${quoteLiteral(maxSql)}, ${num(item.goal.floor)}, ${num(item.goal.headroom ?? 0n)}, ${num(lo)}, ${num(hi)}, ${item.goal.floor === undefined && !item.goal.headroom})`;
}

/**
 * The DO block for a batch. It stops taking new sequences once `budgetMs` have passed since the statement
 * began (statement_timeout counts the whole block): the caller sends the rest in the next one.
 */
export function batchFixSql(items: BatchItem[], lockTimeoutMs: number, budgetMs: number): string {
  return `do $healfix$
declare
  r record; lv numeric; called boolean; mx numeric; inc numeric; smin numeric; smax numeric;
  nxt numeric; want numeric; lim numeric; st text; msg text; before_v numeric; after_v numeric; stmt text;
begin
  for r in select * from (values
${items.map(itemRow).join(',\n')}
  ) as v(i, seq, lock_sql, max_sql, floor_v, headroom, col_lo, col_hi, plain)
  loop
    exit when clock_timestamp() - statement_timestamp() > interval '${Math.max(0, Math.floor(budgetMs))} milliseconds';
    st := null; msg := null; before_v := null; after_v := null; stmt := null;
    begin
      perform set_config('lock_timeout', '${Math.max(1, Math.floor(lockTimeoutMs))}ms', true);
      execute r.lock_sql;
      execute format('select last_value::numeric, is_called from %s', r.seq) into lv, called;
      select seqincrement, seqmin, seqmax into inc, smin, smax from pg_sequence where seqrelid = r.seq::regclass;
      execute r.max_sql into mx;
      nxt := case when called then lv + inc else lv end;
      before_v := nxt;
      after_v := nxt;
      want := case when mx is not null and ((inc > 0 and nxt <= mx) or (inc < 0 and nxt >= mx)) then mx + inc end;
      if r.floor_v is not null then
        want := case when want is null then r.floor_v when inc > 0 then greatest(want, r.floor_v) else least(want, r.floor_v) end;
      end if;
      if want is null or (inc > 0 and nxt >= want) or (inc < 0 and nxt <= want) then
        st := 'unchanged';
      else
        want := want + sign(inc) * r.headroom;
        lim := case when inc > 0 then least(smax, coalesce(r.col_hi, smax)) else greatest(smin, coalesce(r.col_lo, smin)) end;
        if (inc > 0 and want > lim) or (inc < 0 and want < lim) then
          st := 'unfixable';
          msg := format('the value needed (%s) is outside the usable range (%s)', want, lim);
        elsif r.plain then
          stmt := format('select setval(%L, %s, true);', r.seq, want - inc);
          perform setval(r.seq::regclass, (want - inc)::bigint, true);
          st := 'fixed'; after_v := want;
        else
          stmt := format('select setval(%L, %s, false);', r.seq, want);
          perform setval(r.seq::regclass, want::bigint, false);
          st := 'fixed'; after_v := want;
        end if;
      end if;
    exception
      when lock_not_available then st := 'lock-timeout';
      when insufficient_privilege then st := 'permission-denied'; msg := sqlerrm;
      when others then st := 'error'; msg := sqlerrm || ' (SQLSTATE ' || sqlstate || ')';
    end;
    commit;
    -- Reported after the commit: "fixed" is never said of a change that did not persist.
    perform set_config('client_min_messages', 'notice', true);
    raise notice '${NOTICE_PREFIX}%', json_build_object('i', r.i, 's', st, 'b', before_v::text, 'a', after_v::text, 'q', stmt, 'm', msg);
  end loop;
end $healfix$`;
}

export interface RunBatchesOptions {
  /** Default: the session's own setting (0, i.e. none, becomes DEFAULT_SESSION's: a fix never waits forever). */
  lockTimeoutMs?: number;
  statementTimeoutMs?: number;
  concurrency: number;
  signal?: AbortSignal;
  onOutcome: (outcome: BatchOutcome) => void;
}

/**
 * Runs the items through DO blocks over `concurrency` connections. Returns the items no block reported on
 * (a block that failed as a whole, or an interruption): the caller decides what to do with them.
 */
export async function runFixBatches(db: PostgresDatabase, items: BatchItem[], options: RunBatchesOptions): Promise<BatchItem[]> {
  const queue = [...items];
  const left: BatchItem[] = [];
  // Only a block still running is cancelled, and a connection goes back to the pool only once any cancel
  // aimed at it has been sent: a late cancel must never hit the next statement on that session (the re-read).
  const inFlight = new Set<number>();
  let cancelling: Promise<void> = Promise.resolve();
  const onAbort = () => {
    cancelling = cancelBackends(db, [...inFlight]);
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const worker = async (client: pg.PoolClient) => {
    const { rows } = await client.query<{ pid: number; lock_ms: number; statement_ms: number }>(
      `select pg_backend_pid() as pid, extract(epoch from current_setting('lock_timeout')::interval) * 1000 as lock_ms, extract(epoch from current_setting('statement_timeout')::interval) * 1000 as statement_ms`,
    );
    const pid = rows[0]!.pid;
    const lockTimeoutMs = options.lockTimeoutMs ?? (Number(rows[0]!.lock_ms) || DEFAULT_SESSION.lockTimeoutMs);
    const statementTimeoutMs = options.statementTimeoutMs ?? (Number(rows[0]!.statement_ms) || DEFAULT_SESSION.statementTimeoutMs);
    // The block leaves room before statement_timeout for the sequence in flight (its lock wait and reads).
    const budgetMs = Math.max(500, statementTimeoutMs - lockTimeoutMs - 2_000);
    // Slow start (1, 2, 4 … BATCH_SEQUENCES): Ctrl-C early in a run finds at most a small block in flight,
    // and the doubling costs a dozen round trips in all.
    let size = 1;
    while (queue.length && !options.signal?.aborted) {
      const batch = queue.splice(0, size);
      size = Math.min(BATCH_SEQUENCES, size * 2);
      const pending = new Map(batch.map((item) => [item.index, item]));
      const onNotice = (msg: { message?: string }) => {
        if (!msg.message?.startsWith(NOTICE_PREFIX)) return;
        const o = JSON.parse(msg.message.slice(NOTICE_PREFIX.length)) as { i: number; s: SequenceFixStatus; b: string | null; a: string | null; q: string | null; m: string | null };
        if (!pending.delete(o.i)) return;
        options.onOutcome({ index: o.i, status: o.s, before: o.b, after: o.a, ...(o.q ? { sql: o.q } : {}), ...(o.m ? { message: o.m } : {}) });
      };
      client.on('notice', onNotice);
      inFlight.add(pid);
      try {
        await client.query(batchFixSql(batch, lockTimeoutMs, budgetMs));
      } catch (error) {
        if (options.signal?.aborted) {
          left.push(...pending.values());
          break;
        }
        // The block failed as a whole (not one sequence's error: those are caught inside): these go one by one.
        left.push(...pending.values());
        pending.clear();
        if (!isServerError(error)) throw error;
      } finally {
        inFlight.delete(pid);
        client.off('notice', onNotice);
      }
      // Stopped by its time budget: the rest go into the next block; a block that reported nothing at all
      // (notices suppressed somewhere?) hands its items back rather than loop.
      if (pending.size === batch.length) left.push(...pending.values());
      else queue.unshift(...pending.values());
    }
  };
  try {
    const workers = Math.max(1, Math.min(options.concurrency, Math.ceil(items.length / 50)));
    await Promise.all(
      Array.from({ length: workers }, () =>
        withClient(db, async (client) => {
          try {
            await worker(client);
          } finally {
            await cancelling;
          }
        }),
      ),
    );
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  left.push(...queue);
  return left;
}

function isServerError(error: unknown): boolean {
  const code = (error as { code?: string } | undefined)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !code.startsWith('08') && !code.startsWith('57P');
}
