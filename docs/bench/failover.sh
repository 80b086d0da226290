#!/bin/sh
# Failover figures (BENCHMARKS.md, "Failover and replication"): what a synchronous standby
# (`synchronous_commit = remote_apply`) costs draws and audit appends, against the same primary
# with no standby in the same run; then the RTO of the failover drill, repeated.
#
#   CARGO_TARGET_DIR=target cargo build --release --locked
#   sudo docs/bench/failover.sh          # as root: PostgreSQL and Patroni run as postgres
#
# Environment: SEALDRAW (the binary, default target/release/sealdraw), PG_BIN (default
# /usr/lib/postgresql/15/bin), RUNS (default 3), DRILLS (failover drills for the RTO, default
# 5; 0 skips them), WORK (a directory to work in; default under /tmp, removed).
set -eu

here=$(cd "$(dirname "$0")/../.." && pwd)
bin=$(realpath "${SEALDRAW:-$here/target/release/sealdraw}")
pg=${PG_BIN:-/usr/lib/postgresql/15/bin}
runs=${RUNS:-3}
drills=${DRILLS:-5}
work=${WORK:-$(mktemp -d /tmp/sealdraw-bench-failover.XXXX)}
chmod 0755 "$work"
etcd_port=23791
as_pg() { runuser -u postgres -- "$@"; }

# The reference Patroni settings (docs/deploy/patroni.yml) on loopback, as the drill runs them
# (integration/drills/failover.rs, patroni_config).
node_config() { # name pg_port api_port
    sed -e "s|site-a|$1|" \
        -e "s|10.0.1.11:8008|127.0.0.1:$3|" \
        -e "s|10.0.1.11:5432|127.0.0.1:$2|" \
        -e "s|10.0.1.21:2379,10.0.2.21:2379,10.0.3.21:2379|127.0.0.1:$etcd_port|" \
        -e "s|/var/lib/postgresql/15/sealdraw|$work/$1-data|" \
        -e "s|/usr/lib/postgresql/15/bin|$pg|" \
        -e "s|/var/lib/postgresql/.pgpass|$work/$1.pgpass|" \
        -e "s|10.0.0.0/8|127.0.0.1/32|" \
        -e "s|/var/run/postgresql|$work|" \
        -e "s|ttl: 30|ttl: 10|" -e "s|loop_wait: 10|loop_wait: 1|" -e "s|retry_timeout: 10|retry_timeout: 3|" \
        -e "s|hostssl|host|" -e "s|scram-sha-256|trust|" -e "s|peer|trust|" \
        -e 's|archive_mode: "on"|archive_mode: "off"|' -e 's|ssl: "on"|ssl: "off"|' \
        -e 's|pgbackrest --stanza=sealdraw archive-get %f "%p"|/bin/false|' \
        "$here/docs/deploy/patroni.yml" > "$work/$1.yml"
}
node_config site1 25432 28008
node_config site2 25433 28009
chown -R postgres:postgres "$work"

cleanup() {
    # runuser's children (etcd, Patroni, PostgreSQL) outlive it: everything started on the
    # work directory goes.
    pkill -9 -f "$work/" 2>/dev/null || true
    [ -n "${WORK:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

as_pg etcd --name bench --data-dir "$work/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls http://127.0.0.1:23792 --initial-advertise-peer-urls http://127.0.0.1:23792 \
    --initial-cluster bench=http://127.0.0.1:23792 > "$work/etcd.log" 2>&1 &
sleep 1
as_pg patroni "$work/site1.yml" > "$work/site1.log" 2>&1 &
until curl -sf http://127.0.0.1:28008/primary >/dev/null; do sleep 0.5; done
as_pg patroni "$work/site2.yml" > "$work/site2.log" 2>&1 &
site2=$!
until curl -s http://127.0.0.1:28008/cluster | grep -q sync_standby; do sleep 0.5; done

primary=postgres://postgres@127.0.0.1:25432/postgres
setting() { as_pg "$pg/psql" -h "$work" -p 25432 -Atc "show $1"; }
measure() { # label
    echo "== $1: synchronous_standby_names = '$(setting synchronous_standby_names)', synchronous_commit = $(setting synchronous_commit)"
    "$bin" bench audit --postgres "$primary" --skip-verify --entries 5000 --runs 1 --dir "$work" 2>&1 | grep -E "^\| PostgreSQL \| [0-9]"
    "$bin" bench draw --postgres "$primary" --clients 1,8 --draws 50 --runs 1 --dir "$work" 2>&1 | grep -E "^\| PostgreSQL \| [0-9]"
}
start_standby() {
    as_pg patroni "$work/site2.yml" >> "$work/site2.log" 2>&1 &
    site2=$!
    until curl -s http://127.0.0.1:28008/cluster | grep -q sync_standby; do sleep 0.5; done
}
stop_standby() { # the standby's site goes: Patroni (not strict) lets the primary commit alone
    pkill -9 -f "$work/site2" 2>/dev/null || true
    wait "$site2" 2>/dev/null || true
    until [ -z "$(setting synchronous_standby_names)" ]; do sleep 0.5; done
}
# The raw limit beside them: the same server's commit rate for a one-row insert (pgbench's
# simple-update's floor), with and without the standby, in the same rounds.
raw_commits() {
    as_pg "$pg/psql" -h "$work" -p 25432 -Atqc "CREATE TABLE IF NOT EXISTS bench_raw (x int)"
    printf 'INSERT INTO bench_raw VALUES (1);\n' > "$work/raw.sql"
    as_pg "$pg/pgbench" -h "$work" -p 25432 -n -c 1 -T 5 -f "$work/raw.sql" postgres 2>/dev/null | sed -n 's/^tps = \([0-9.]*\).*/raw one-row commits\/s: \1/p'
}
# Rounds alternate the two, so the machine's noise (other builds beside the benchmark) falls on
# both alike; quote the medians.
round=1
while [ "$round" -le "$runs" ]; do
    echo "## round $round"
    measure "with a synchronous standby (remote_apply)"
    raw_commits
    stop_standby
    measure "no standby"
    raw_commits
    start_standby
    round=$((round + 1))
done

if [ "$drills" -gt 0 ]; then
    echo "== failover drill, $drills times"
    cd "$here"
    i=0
    rtos=""
    while [ "$i" -lt "$drills" ]; do
        cargo nextest run --locked -E 'test(/^drills::failover/)' --no-capture > "$work/drill.log" 2>&1 || true
        rto=$(sed -n 's/^drill: RTO \([0-9.]*\) s.*/\1/p' "$work/drill.log")
        if [ -z "$rto" ]; then
            echo "drill $((i + 1)) failed:"; tail -n 30 "$work/drill.log"
        else
            echo "drill $((i + 1)): RTO $rto s"
        fi
        rtos="$rtos $rto"
        i=$((i + 1))
    done
    echo "RTO median: $(echo "$rtos" | tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }') s"
fi
