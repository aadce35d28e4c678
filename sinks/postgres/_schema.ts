/**
 * The PostgreSQL schema of the event log, created and migrated idempotently under one advisory
 * lock, with a `zu_schema` version row per applied version.
 *
 * @module
 */
import type { Sql } from "./pg_connect.ts";
import { PG_SCHEMA_VERSION } from "./schema_version.ts";

export { PG_SCHEMA_VERSION };

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

/** Checks a schema name (lower-case identifier); throws `TypeError` naming it otherwise. */
export function checkSchemaName(schema: string): string {
  if (typeof schema !== "string" || !IDENT.test(schema)) {
    throw new TypeError(
      `Cannot use PostgreSQL schema "${
        String(schema)
      }": it must be a lower-case identifier ([a-z_][a-z0-9_]*, at most 63 characters)`,
    );
  }
  return schema;
}

/** The DDL of version 1, for schema `s` (already checked). Every statement is idempotent. */
function version1(s: string): string[] {
  return [
    `create schema if not exists ${s}`,
    `create table if not exists ${s}.zu_schema (
      version    integer primary key,
      applied_at timestamptz not null default now()
    )`,
    `create table if not exists ${s}.zu_events (
      seq        bigint generated always as identity primary key,
      xid        xid8 not null default pg_current_xact_id(),
      event_id   text not null unique,
      trace_id   text not null,
      task_id    text not null,
      parent_id  text,
      type       text not null,
      source     text not null,
      trace_pos  integer not null,
      prev_hash  text,
      hash       text not null,
      sig        text,
      codec      smallint not null,
      data       bytea not null,
      unique (trace_id, trace_pos)
    )`,
    `create index if not exists zu_events_xid_seq on ${s}.zu_events (xid, seq)`,
    `create index if not exists zu_events_trace_seq on ${s}.zu_events (trace_id, seq)`,
    `create index if not exists zu_events_task_seq on ${s}.zu_events (task_id, seq)`,
    `create index if not exists zu_events_type_seq on ${s}.zu_events (type, seq)`,
    `create table if not exists ${s}.zu_event_index (
      event_id text not null,
      field    text not null,
      value    text,
      primary key (event_id, field)
    )`,
    `create index if not exists zu_event_index_fv on ${s}.zu_event_index (field, value)`,
    `create table if not exists ${s}.zu_cursors (
      consumer text primary key,
      xid      xid8 not null,
      seq      bigint not null,
      updated  timestamptz not null default now()
    )`,
    // One call appends one event: the per-trace lock, the idempotency probe, the head check and
    // the insert run in the database, so writers in any process serialise per trace.
    `create or replace function ${s}.zu_append(
      p_event_id text, p_trace_id text, p_task_id text, p_parent_id text, p_type text,
      p_source text, p_head integer, p_prev_hash text, p_hash text, p_sig text,
      p_codec smallint, p_data bytea, p_index text[])
    returns table (r_status text, r_seq bigint, r_pos integer, r_hash text)
    language plpgsql volatile
    set search_path = ${s}, pg_temp
    as $fn$
    declare
      h_pos  integer;
      h_hash text;
      n_seq  bigint;
    begin
      perform pg_advisory_xact_lock(hashtextextended(p_trace_id, 0));
      select e.seq, e.trace_pos, e.hash into n_seq, h_pos, h_hash
        from zu_events e where e.event_id = p_event_id;
      if found then
        return query select 'exists'::text, n_seq, h_pos, h_hash;
        return;
      end if;
      select e.trace_pos, e.hash into h_pos, h_hash
        from zu_events e where e.trace_id = p_trace_id order by e.trace_pos desc limit 1;
      if not found then
        h_pos := 0;
        h_hash := null;
      end if;
      if h_pos <> p_head then
        return query select 'moved'::text, null::bigint, h_pos, h_hash;
        return;
      end if;
      insert into zu_events as e (event_id, trace_id, task_id, parent_id, type, source,
                                  trace_pos, prev_hash, hash, sig, codec, data)
        values (p_event_id, p_trace_id, p_task_id, p_parent_id, p_type, p_source,
                h_pos + 1, p_prev_hash, p_hash, p_sig, p_codec, p_data)
        on conflict (event_id) do nothing
        returning e.seq into n_seq;
      if n_seq is null then
        select e.seq, e.trace_pos, e.hash into n_seq, h_pos, h_hash
          from zu_events e where e.event_id = p_event_id;
        return query select 'exists'::text, n_seq, h_pos, h_hash;
        return;
      end if;
      if p_index is not null and cardinality(p_index) > 1 then
        insert into zu_event_index (event_id, field, value)
          select p_event_id, p_index[i], p_index[i + 1]
            from generate_series(1, cardinality(p_index) - 1, 2) i
          on conflict (event_id, field) do update set value = excluded.value;
      end if;
      return query select 'ok'::text, n_seq, h_pos + 1, p_hash;
    end
    $fn$`,
  ];
}

/**
 * The DDL of version 2, for schema `s`: `zu_append_batch`, one call appending a whole batch that
 * was linked on the heads the writer last saw (the bodies concatenated in `p_data`, their
 * lengths in `p_data_len`). It locks the batch's traces in key order, and
 * either inserts every row (one set-based insert) or, when an event is stored already, a head
 * moved or a trace's positions are not contiguous from its head, inserts nothing and says so per row (`exists` with the stored row, else `moved` with
 * the trace's head). A concurrent insert of the same event id fails the call (unique violation),
 * so a batch is always all or nothing.
 */
function version2(s: string): string[] {
  return [
    `create or replace function ${s}.zu_append_batch(
      p_event_id text[], p_trace_id text[], p_task_id text[], p_parent_id text[], p_type text[],
      p_source text[], p_head integer[], p_prev_hash text[], p_hash text[], p_sig text[],
      p_codec smallint[], p_data bytea, p_data_len integer[], p_ix_event text[], p_ix_field text[], p_ix_value text[])
    returns table (r_status text, r_seq bigint, r_pos integer, r_hash text)
    language plpgsql volatile
    set search_path = ${s}, pg_temp
    -- A plan cached while the table was small would scan it whole for ever after: index only.
    set enable_seqscan = off
    as $fn$
    begin
      perform pg_advisory_xact_lock(k)
        from (select distinct hashtextextended(t, 0) as k from unnest(p_trace_id) t order by 1) l;
      if exists (select 1 from zu_events e where e.event_id = any(p_event_id))
         or exists (
           select 1
             from (select t, min(h) as lo, max(h) as hi, count(*) as n, count(distinct h) as d
                     from unnest(p_trace_id, p_head) as f(t, h) group by t) f
             left join lateral (select e.trace_pos from zu_events e where e.trace_id = f.t
                                 order by e.trace_pos desc limit 1) c on true
            where coalesce(c.trace_pos, 0) <> f.lo or f.hi - f.lo + 1 <> f.n or f.d <> f.n) then
        return query
          select case when x.seq is null then 'moved' else 'exists' end::text, x.seq,
                 coalesce(x.trace_pos, c.trace_pos, 0), case when x.seq is null then c.hash
                 else x.hash end
            from unnest(p_event_id, p_trace_id) with ordinality as u(id, t, o)
            left join zu_events x on x.event_id = u.id
            left join lateral (select e.trace_pos, e.hash from zu_events e where e.trace_id = u.t
                                order by e.trace_pos desc limit 1) c on true
           order by u.o;
        return;
      end if;
      return query
        with ins as (
          insert into zu_events as e (event_id, trace_id, task_id, parent_id, type, source,
                                      trace_pos, prev_hash, hash, sig, codec, data)
            select u.id, u.t, u.task, u.parent, u.ty, u.src, u.h + 1, u.prev, u.hash, u.sig,
                   u.codec, substring(p_data from u.start + 1 for u.len)
              from (select v.*, (sum(v.len) over (order by v.o) - v.len)::integer as start
                      from unnest(p_event_id, p_trace_id, p_task_id, p_parent_id, p_type,
                                  p_source, p_head, p_prev_hash, p_hash, p_sig, p_codec,
                                  p_data_len)
                           with ordinality as v(id, t, task, parent, ty, src, h, prev, hash,
                                                sig, codec, len, o)) u
             order by u.o
            returning e.event_id, e.seq, e.trace_pos, e.hash)
        select 'ok'::text, i.seq, i.trace_pos, i.hash
          from unnest(p_event_id) with ordinality as u(id, o) join ins i on i.event_id = u.id
         order by u.o;
      if cardinality(p_ix_event) > 0 then
        insert into zu_event_index (event_id, field, value)
          select * from unnest(p_ix_event, p_ix_field, p_ix_value)
          on conflict (event_id, field) do update set value = excluded.value;
      end if;
    end
    $fn$`,
    // The same reason for the one-event append's cached plans.
    `alter function ${s}.zu_append(text, text, text, text, text, text, integer, text, text, text,
      smallint, bytea, text[]) set enable_seqscan = off`,
  ];
}

/** The DDL of each version, oldest first. */
const VERSIONS: ((s: string) => string[])[] = [version1, version2];

/** The applied version of schema `s`, or 0 when it has none. */
export async function readSchemaVersion(sql: Sql, s: string): Promise<number> {
  const [row] = await sql.unsafe(
    `select case when to_regclass($1) is null then 0 else -1 end as missing`,
    [`${s}.zu_schema`],
  );
  if (Number(row?.missing) === 0) return 0;
  const [v] = await sql.unsafe(`select coalesce(max(version), 0) as v from ${s}.zu_schema`);
  return Number(v?.v ?? 0);
}

/**
 * Creates or migrates schema `s` to {@link PG_SCHEMA_VERSION}. Concurrent callers serialise on
 * an advisory lock; a current schema costs one query and needs no DDL privilege. Throws `Error`
 * when the database holds a newer version than this code knows.
 */
export async function migrate(sql: Sql, s: string): Promise<number> {
  const found = await readSchemaVersion(sql, s);
  if (found === PG_SCHEMA_VERSION) return found;
  if (found > PG_SCHEMA_VERSION) {
    throw new Error(
      `schema "${s}" is at version ${found}, newer than this zu knows (${PG_SCHEMA_VERSION}); upgrade zu`,
    );
  }
  await sql.begin(async (tx) => {
    await tx.unsafe(`select pg_advisory_xact_lock(hashtextextended($1, 0))`, [`zu_schema:${s}`]);
    // Re-read under the lock: another process may have migrated meanwhile.
    const from = await readSchemaVersion(tx as unknown as Sql, s);
    for (const version of VERSIONS.slice(from)) {
      for (const stmt of version(s)) await tx.unsafe(stmt);
    }
    await tx.unsafe(
      `insert into ${s}.zu_schema (version) values ($1) on conflict (version) do nothing`,
      [PG_SCHEMA_VERSION],
    );
  });
  return PG_SCHEMA_VERSION;
}
