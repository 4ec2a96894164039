#!/usr/bin/env bash
# scale.sh — start-up, RSS and page times of a real portal process on a data
# directory made by loadgen (issue 10):
#
#   go run ./portal/internal/loadgen -size L -dir /tmp/company-L
#   deploy/bench/scale.sh /tmp/company-L
#
# It builds the portal (or uses $BIN), starts it with header sign-in on
# 127.0.0.1:$PORT (the loadgen admin, dev:gen00000, as header:gen00000 with
# the admin role), times /healthz and /readyz from launch, then views each
# page $VIEWS times with curl and prints the median time, the process's CPU
# per view (utime+stime from /proc, 10 ms ticks) and VmRSS/VmHWM after.
# Knobs: BIN, PORT (18490), VIEWS (20), PAGES (space-separated paths).
set -euo pipefail
DIR=${1:?usage: scale.sh DATA_DIR}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PORT=${PORT:-18490}
VIEWS=${VIEWS:-20}
PAGES=${PAGES:-"/ /me /leaderboard /polls /stories /stories?page=20 /suggest /admin/audit /announcements /files /search?q=%E5%B9%B4%E5%81%87"}
WORK=$(mktemp -d)
trap 'kill "$PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT
if [[ -z "${BIN:-}" ]]; then
  BIN=$WORK/jinnang
  (cd "$ROOT" && go build -o "$BIN" .)
fi
printf 'admins:\n  - "header:gen00000"\n' > "$WORK/roles.yaml"
now() { date +%s.%N; }
s=$(now)
"$BIN" -data-dir "$DIR" -seed=false -demo-content=false -auth header -trusted-proxies 127.0.0.1 \
  -addr 127.0.0.1:$PORT -log-level warn -roles-file "$WORK/roles.yaml" serve > "$WORK/portal.log" 2>&1 &
PID=$!
wait_for() {
  until curl -sf -o /dev/null "http://127.0.0.1:$PORT$1"; do
    kill -0 $PID 2>/dev/null || { echo "portal exited:"; cat "$WORK/portal.log"; exit 1; }
    sleep 0.02
  done
}
wait_for /healthz; h=$(now)
wait_for /readyz; r=$(now)
echo "start-up: /healthz after $(echo "$h - $s" | bc) s, /readyz after $(echo "$r - $s" | bc) s"
grep -E 'VmRSS|VmHWM' /proc/$PID/status | tr -s ' \t' ' ' | sed 's/^/ready: /'
ticks() { awk '{print $14+$15}' /proc/$PID/stat; }
hz=$(getconf CLK_TCK)
printf '%-28s %8s %8s %12s\n' page code median-ms cpu-ms/view
for p in $PAGES; do
  url="http://127.0.0.1:$PORT$p"
  first=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' -H 'X-Forwarded-User: gen00000' "$url")
  t0=$(ticks)
  for _ in $(seq "$VIEWS"); do
    curl -s -o /dev/null -w '%{time_total}\n' -H 'X-Forwarded-User: gen00000' "$url"
  done > "$WORK/times"
  t1=$(ticks)
  med=$(sort -n "$WORK/times" | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]*1000}')
  cpu=$(echo "scale=1; ($t1 - $t0) * 1000 / $hz / $VIEWS" | bc)
  printf '%-28s %8s %8s %12s   (first view %s s)\n' "$p" "${first% *}" "$med" "$cpu" "${first#* }"
done
grep -E 'VmRSS|VmHWM' /proc/$PID/status | tr -s ' \t' ' ' | sed 's/^/after views: /'
