#!/bin/sh
# Backup and restore times for a database holding a year of simulated activity
# (BENCHMARKS.md, "Backups and restore"), beside the raw limit measured in the same run: a plain
# copy of the same files on the same disk, flushed.
#
#   CARGO_TARGET_DIR=target cargo build --release --locked
#   sudo docs/bench/backup.sh            # as root: PostgreSQL and pgBackRest run as postgres
#
# Environment: SEALDRAW (the binary, default target/release/sealdraw), PG_BIN (default
# /usr/lib/postgresql/15/bin), RUNS (default 3), YEARS (default 1), DRAWS_PER_YEAR (default
# 6000), EXPERTS (default 12000), WORK (a directory to work in; default under /tmp, removed).
set -eu

here=$(cd "$(dirname "$0")/../.." && pwd)
bin=$(realpath "${SEALDRAW:-$here/target/release/sealdraw}")
pg=${PG_BIN:-/usr/lib/postgresql/15/bin}
runs=${RUNS:-3}
years=${YEARS:-1}
draws=${DRAWS_PER_YEAR:-6000}
experts=${EXPERTS:-12000}
work=${WORK:-$(mktemp -d /tmp/sealdraw-bench-backup.XXXX)}
chown postgres:postgres "$work"
chmod 0755 "$work"
pg_port=55499

as_pg() { runuser -u postgres -- "$@"; }
now() { date +%s.%N; }
# Seconds since $1.
since() { echo "$(now) $1" | awk '{ printf "%.2f", $1 - $2 }'; }
median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ratio() { echo "$1 $2" | awk '{ printf "%.1f", $1 / $2 }'; }
size_mb() { du -sm "$1" | cut -f1; }
cleanup() {
    as_pg "$pg/pg_ctl" -D "$work/pg/data" -m immediate stop >/dev/null 2>&1 || true
    as_pg "$pg/pg_ctl" -D "$work/restored" -m immediate stop >/dev/null 2>&1 || true
    [ -n "${WORK:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

# One year of simulated activity: the demo pool and a synthetic history on it (the rows that
# supervision's reports read), made by the product's own commands.
populate() {
    "$bin" keys init >/dev/null
    "$bin" pool demo --count "$experts" >/dev/null
    "$bin" demo history --years "$years" --draws-per-year "$draws" >/dev/null
}

# The demonstration data is refused under the production profile.
export SEALDRAW__PROFILE=dev
unset SEALDRAW_CONFIG || true

echo "# Backups and restore: $years year(s) of simulated activity, $runs runs" >&2

# --- SQLite: sealdraw backup (copy + verification of the log) against cp + sync. -------------
export SEALDRAW__DATA_DIR="$work/sqlite"
unset SEALDRAW__DATABASE__URL || true
populate
db="$work/sqlite/sealdraw.db"
sqlite_mb=$(size_mb "$db")
sq_raw="" sq_backup=""
for run in $(seq "$runs"); do
    t=$(now); cp "$db" "$work/raw-$run.db"; sync "$work/raw-$run.db"; sq_raw="$sq_raw $(since "$t")"
    t=$(now); "$bin" backup --out "$work/backup-$run.db" >/dev/null; sq_backup="$sq_backup $(since "$t")"
    rm -f "$work/raw-$run.db" "$work/backup-$run.db"
done

# --- PostgreSQL with the shipped pgBackRest configuration. -----------------------------------
mkdir -p "$work/pg" && chown postgres:postgres "$work/pg"
for dir in repo spool log lock; do as_pg mkdir -p "$work/pg/$dir"; done
sed -e "s|^repo1-path=.*|repo1-path=$work/pg/repo|" \
    -e "s|^spool-path=.*|spool-path=$work/pg/spool|" \
    -e "s|^log-path=.*|log-path=$work/pg/log|" \
    -e "s|^lock-path=.*|lock-path=$work/pg/lock|" \
    -e "s|^pg1-path=.*|pg1-path=$work/pg/data|" \
    -e "s|^pg1-port=.*|pg1-port=$pg_port|" \
    -e "s|^pg1-socket-path=.*|pg1-socket-path=$work/pg|" \
    -e "s|^repo1-cipher-pass=.*|repo1-cipher-pass=bench-only-$(date +%s%N)|" \
    "$here/docs/deploy/pgbackrest.conf" > "$work/pg/pgbackrest.conf"
chown postgres:postgres "$work/pg/pgbackrest.conf"
conf="--config=$work/pg/pgbackrest.conf"
as_pg "$pg/initdb" -D "$work/pg/data" -U postgres -A trust -E UTF8 >/dev/null
cat >> "$work/pg/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $pg_port
unix_socket_directories = '$work/pg'
archive_mode = on
archive_command = 'pgbackrest $conf --stanza=sealdraw archive-push %p'
EOF
as_pg "$pg/pg_ctl" -D "$work/pg/data" -l "$work/pg/postgres.log" -w start >/dev/null
as_pg pgbackrest "$conf" --stanza=sealdraw stanza-create
as_pg "$pg/createdb" -h "$work/pg" -p "$pg_port" sealdraw
export SEALDRAW__DATA_DIR="$work/pg-sealdraw"
export SEALDRAW__DATABASE__URL="postgres://postgres@127.0.0.1:$pg_port/sealdraw"
populate
as_pg "$pg/psql" -h "$work/pg" -p "$pg_port" -qc CHECKPOINT postgres
pg_mb=$(size_mb "$work/pg/data")
pg_raw="" pg_full="" pg_restore="" pg_start=""
for run in $(seq "$runs"); do
    t=$(now); cp -a "$work/pg/data" "$work/raw-copy"; sync -f "$work/raw-copy/PG_VERSION"; pg_raw="$pg_raw $(since "$t")"
    rm -rf "$work/raw-copy"
    t=$(now); as_pg pgbackrest "$conf" --stanza=sealdraw --type=full backup; pg_full="$pg_full $(since "$t")"
    as_pg mkdir -m 0700 "$work/restored"
    t=$(now); as_pg pgbackrest "$conf" --stanza=sealdraw --pg1-path="$work/restored" restore; pg_restore="$pg_restore $(since "$t")"
    t=$(now)
    as_pg "$pg/pg_ctl" -D "$work/restored" -l "$work/pg/restored.log" -w -t 300 \
        -o "-p $((pg_port + 1)) -c archive_mode=off" start >/dev/null
    pg_start="$pg_start $(since "$t")"
    as_pg "$pg/pg_ctl" -D "$work/restored" -m fast stop >/dev/null
    rm -rf "$work/restored"
done
repo_mb=$(size_mb "$work/pg/repo")

m() { echo "$1" | median; }
cat <<EOF
| backend, data | size | raw copy (cp + sync) | backup | ratio | restore | ratio |
|---|---|---|---|---|---|---|
| SQLite, \`sealdraw backup\` (copy + log verified) | $sqlite_mb MB | $(m "$sq_raw") s | $(m "$sq_backup") s | $(ratio "$(m "$sq_backup")" "$(m "$sq_raw")") × | (a file copy: the raw figure) | 1.0 × |
| PostgreSQL, pgBackRest full (lz4, aes-256-cbc, process-max=2) | $pg_mb MB (repository after $runs fulls: $repo_mb MB) | $(m "$pg_raw") s | $(m "$pg_full") s | $(ratio "$(m "$pg_full")" "$(m "$pg_raw")") × | $(m "$pg_restore") s + start $(m "$pg_start") s | $(ratio "$(m "$pg_restore")" "$(m "$pg_raw")") × |

Runs (s): SQLite raw [$sq_raw ], backup [$sq_backup ]; PostgreSQL raw [$pg_raw ], full [$pg_full ], restore [$pg_restore ], start [$pg_start ].
EOF
