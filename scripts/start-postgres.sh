#!/usr/bin/env bash
# Start a throwaway local PostgreSQL server for trying the run store against it.
#
#   scripts/start-postgres.sh [DIR] [PORT]     (defaults: /tmp/bastion-pg, 55432)
#   eval "$(scripts/start-postgres.sh)"        # sets BASTION_DATABASE_URL in this shell
#   scripts/start-postgres.sh stop [DIR]
#
# Uses Debian's binaries (apt-get install -y postgresql) from /usr/lib/postgresql/*/bin,
# or initdb/pg_ctl on PATH. As root, the server runs as the `postgres` user.
# The test suite does not need this script: it starts its own server.
set -euo pipefail

if [[ "${1:-}" == "stop" ]]; then action=stop; shift; else action=start; fi
dir="${1:-/tmp/bastion-pg}"
port="${2:-55432}"

bindir=""
for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [[ -x "$candidate/initdb" && -x "$candidate/pg_ctl" ]]; then bindir="$candidate"; break; fi
done
if [[ -z "$bindir" ]] && command -v pg_ctl >/dev/null && command -v initdb >/dev/null; then
    bindir="$(dirname "$(command -v pg_ctl)")"
fi
if [[ -z "$bindir" ]]; then
    echo "no PostgreSQL binaries found: apt-get install -y postgresql" >&2
    exit 1
fi

as_server=()
if [[ "$(id -u)" == 0 ]]; then as_server=(runuser -u postgres --); fi

if [[ "$action" == stop ]]; then
    "${as_server[@]}" "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >&2
    exit 0
fi

mkdir -p "$dir/sockets"
if [[ "$(id -u)" == 0 ]]; then chown postgres: "$dir" "$dir/sockets"; fi
if [[ ! -f "$dir/data/PG_VERSION" ]]; then
    "${as_server[@]}" "$bindir/initdb" -D "$dir/data" -U bastion -A trust -E UTF8 --no-locale >&2
fi
"${as_server[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir/sockets" start >&2
"$bindir/psql" -h 127.0.0.1 -p "$port" -U bastion -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = 'bastion'" | grep -q 1 \
    || "$bindir/createdb" -h 127.0.0.1 -p "$port" -U bastion bastion
echo "export BASTION_DATABASE_URL=postgresql+psycopg://bastion@127.0.0.1:$port/bastion"
