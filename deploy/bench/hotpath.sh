#!/usr/bin/env bash
# hotpath.sh measures the portal's hot pages side by side with nginx in one
# run: the portal (embedded store and bleve, seed content, dev sign-in) on a
# loopback port, and nginx serving the very bytes the portal answered (same
# gzip level as the portal, gzip_comp_level 5) on another. wrk drives both
# with the session cookie; the script prints req/s, p50, p99 and the ratio.
#
#	deploy/bench/hotpath.sh            # needs nginx and wrk (apt-get install nginx wrk)
#	THREADS=2 CONNS=32 DURATION=10s deploy/bench/hotpath.sh
#	PPROF=1 deploy/bench/hotpath.sh    # also write a CPU profile of the portal under wrk
#	PAGES="home" deploy/bench/hotpath.sh   # only some of pack, home, search
set -euo pipefail
cd "$(dirname "$0")/../.."
THREADS=${THREADS:-2} CONNS=${CONNS:-32} DURATION=${DURATION:-10s}
PORTAL_PORT=${PORTAL_PORT:-18480} NGINX_PORT=${NGINX_PORT:-18481}
PACK=${PACK:-annual-leave-calculation} QUERY=${QUERY:-年假}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
command -v wrk >/dev/null || { echo "hotpath: wrk not found (apt-get install wrk)" >&2; exit 1; }
[ -x "$NGINX" ] || { echo "hotpath: nginx not found (apt-get install nginx)" >&2; exit 1; }

tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

go build ${PPROF:+-tags pprof} -o "$tmp/jinnang" .
HOTPATH_PPROF_ADDR=${PPROF:+127.0.0.1:18482} \
	"$tmp/jinnang" -addr "127.0.0.1:$PORTAL_PORT" -data-dir "$tmp/data" -log-level error -demo-content=false >"$tmp/portal.log" 2>&1 &
pids+=($!)
base="http://127.0.0.1:$PORTAL_PORT"
for _ in $(seq 1 120); do curl -fs "$base/healthz" >/dev/null 2>&1 && break; sleep 0.5; done
curl -fs "$base/healthz" >/dev/null || { cat "$tmp/portal.log" >&2; echo "hotpath: portal did not start" >&2; exit 1; }

# Dev sign-in, as portal/e2e_test.go devClient does: /auth/start leads to the
# dev picker with a state; posting the state and a person signs in.
jar="$tmp/jar"
state=$(curl -fsL -c "$jar" -b "$jar" -o /dev/null -w '%{url_effective}' "$base/auth/start?next=/" | sed -n 's/.*[?&]state=\([^&]*\).*/\1/p')
[ -n "$state" ] || { echo "hotpath: no sign-in state" >&2; exit 1; }
curl -fsL -c "$jar" -b "$jar" -o /dev/null --data-urlencode "state=$(printf '%b' "${state//%/\\x}")" -d user=wangmin "$base/auth/callback"
cookie=$(awk '$0 !~ /^#/ || $0 ~ /^#HttpOnly_/ { if (NF >= 7) printf "%s=%s; ", $6, $7 }' "$jar")
[ -n "$cookie" ] || { echo "hotpath: no session cookie" >&2; exit 1; }

qenc=$(printf '%s' "$QUERY" | od -An -tx1 | tr -d ' \n' | sed 's/../%&/g')
read -r -a pages <<<"${PAGES:-pack home search}"
declare -A path=([pack]="/packs/$PACK" [home]="/" [search]="/search?q=$qenc")
mkdir -p "$tmp/www"
chmod 755 "$tmp" "$tmp/www" # nginx workers run as an unprivileged user
for p in "${pages[@]}"; do
	curl -fs -H "Cookie: $cookie" "$base${path[$p]}" -o "$tmp/www/$p.html"
	enc=$(curl -fs -H "Cookie: $cookie" -H 'Accept-Encoding: gzip' -D - -o "$tmp/$p.gz" "$base${path[$p]}" | tr -d '\r' | sed -n 's/^[Cc]ontent-[Ee]ncoding: *//p')
	grep -q 'class="who"' "$tmp/www/$p.html" || { echo "hotpath: $p page is not signed in" >&2; exit 1; }
	printf '%-7s %7d bytes, %6d gzipped (Content-Encoding: %s)\n' "$p" "$(wc -c <"$tmp/www/$p.html")" "$(wc -c <"$tmp/$p.gz")" "${enc:-none}"
done

cat >"$tmp/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $tmp/nginx.pid;
error_log $tmp/nginx.err warn;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $tmp/nb; proxy_temp_path $tmp/np; fastcgi_temp_path $tmp/nf; uwsgi_temp_path $tmp/nu; scgi_temp_path $tmp/ns;
	gzip on; gzip_comp_level 5; gzip_min_length 1024; # text/html is always gzipped
	server {
		listen 127.0.0.1:$NGINX_PORT;
		root $tmp/www;
		location = /packs/$PACK { try_files /pack.html =404; }
		location = / { try_files /home.html =404; }
		location = /search { try_files /search.html =404; }
	}
}
CONF
"$NGINX" -c "$tmp/nginx.conf" -p "$tmp" &
pids+=($!)
for _ in $(seq 1 40); do curl -fs "http://127.0.0.1:$NGINX_PORT/" >/dev/null 2>&1 && break; sleep 0.25; done

# bench URL -> "req/s p50_ms p99_ms"
bench() {
	wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -H "Cookie: $cookie" -H 'Accept-Encoding: gzip' "$1" >"$tmp/wrk.out"
	awk '
		function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
		/^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) } /^Requests\/sec/ { rps = $2 }
		/Non-2xx/ { bad = $NF }
		END { if (bad) print "hotpath: non-2xx responses: " bad > "/dev/stderr"; printf "%.0f %.2f %.2f\n", rps, p50, p99 }' "$tmp/wrk.out"
}

if [ -n "${PPROF:-}" ]; then
	curl -fs "http://127.0.0.1:18482/debug/pprof/profile?seconds=${PPROF_SECONDS:-9}" -o "${PPROF_OUT:-/tmp/hotpath.cpu.pprof}" &
	pids+=($!)
fi
printf '\n%-7s %12s %9s %9s %12s %9s %9s %7s\n' page portal_rps p50_ms p99_ms nginx_rps p50_ms p99_ms ratio
for p in "${pages[@]}"; do
	read -r prps pp50 pp99 < <(bench "$base${path[$p]}")
	read -r nrps np50 np99 < <(bench "http://127.0.0.1:$NGINX_PORT${path[$p]}")
	printf '%-7s %12s %9s %9s %12s %9s %9s %7s\n' "$p" "$prps" "$pp50" "$pp99" "$nrps" "$np50" "$np99" \
		"$(awk -v a="$prps" -v b="$nrps" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }')"
done
[ -z "${PPROF:-}" ] || { wait "${pids[-1]}" || true; echo "CPU profile: ${PPROF_OUT:-/tmp/hotpath.cpu.pprof}"; }
