#!/usr/bin/env bash
# The deployment test (issue #10): builds Karst's Docker image and runs the compose files for
# real, talking to the cluster from the host with the host's `karst` binary.
#
#   1. starts dockerd when none answers (needs root) and makes the debian:bookworm base image
#      (deploy/docker/base-image.sh: debootstrap + docker import, cached in ~/.cache/karst);
#   2. builds karst:latest from host-built release binaries (deploy/docker/build.sh --prebuilt)
#      and the Prometheus image; checks the image runs as a non-root user, refuses an empty
#      volume without KARST_CLUSTER_ID, and serves as one node with it;
#   3. starts deploy/compose/docker-compose.yml; produces 10,000 records at acks=all and reads
#      them back (and 4,000 through a consumer group); kills one node's container, produces and reads 10,000 more; starts it again
#      and waits for every partition's ISR to be back to 3 (karst topics --describe);
#   4. checks Prometheus scrapes every node, and that every PromQL expression of the Grafana
#      dashboards and the alert rules parses and returns data (check_queries.py);
#   5. recreates every container on its old volume and reads all 20,000 records again (data
#      kept, storage not formatted again);
#   6. checks the Prometheus config and rules with promtool, the Kubernetes overlays' wiring
#      (check_k8s.py) and runs their pods as containers (k8s_pods_test.sh);
#   7. with KARST_DEPLOY_FIVE=1 (the default), starts docker-compose.5.yml and serves 1,000
#      records through it.
# Everything it made (containers, networks, volumes) is removed on exit, pass or fail; a dockerd
# it started is stopped. Waits poll with deadlines, never fixed sleeps.
# Kept out of `bazel test //...`: tools/test.sh runs it after the unit and integration suites
# (KARST_DEPLOY_TEST=0 skips it there). Exit 0 when every step passed.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo="$(pwd)"

project="karst-deploy-test"
project5="karst-deploy-test5"
topic="deploy-test-$$"  # per run: a straggling client of an earlier run cannot create it
# Logs and intermediate files; a directory of our own is removed when the test passes.
out="${TEST_UNDECLARED_OUTPUTS_DIR:-}"
own_out=0
if [[ -z "$out" ]]; then out="$(mktemp -d /tmp/karst-deploy-test.XXXXXX)"; own_out=1; fi
mkdir -p "$out"
export KARST_CLUSTER_ID="deploy-test-$$"
export KARST_NETWORK="karst-deploy-test-$$"
started=$SECONDS
dockerd_pid=""

step() { echo "[deploy-test $((SECONDS - started))s] $*"; }

if command -v docker-compose >/dev/null 2>&1; then
  compose_bin=(docker-compose)
else
  compose_bin=(docker compose)
fi
compose3() { "${compose_bin[@]}" -p "$project" -f deploy/compose/docker-compose.yml "$@"; }
compose5() { "${compose_bin[@]}" -p "$project5" -f deploy/compose/docker-compose.5.yml "$@"; }

dump_logs() {
  for p in "$project" "$project5"; do
    for c in $(docker ps -a -q --filter "label=com.docker.compose.project=$p" 2>/dev/null); do
      name="$(docker inspect -f '{{.Name}}' "$c" | tr -d /)"
      docker logs "$c" >"$out/$name.log" 2>&1 || true
      echo "--- last lines of $name ($out/$name.log) ---"
      tail -15 "$out/$name.log"
    done
  done
}

cleanup() {
  local rc=$?
  set +e
  if ((rc != 0)); then dump_logs; fi
  step "cleanup: removing containers, networks and volumes"
  compose3 down -v --remove-orphans -t 10 >"$out/down3.log" 2>&1
  compose5 down -v --remove-orphans -t 10 >"$out/down5.log" 2>&1
  local left
  # (One query per project: two label filters in one query must both match.)
  left="$(docker ps -a -q --filter "label=com.docker.compose.project=$project";
          docker ps -a -q --filter "label=com.docker.compose.project=$project5";
          docker volume ls -q --filter "label=com.docker.compose.project=$project";
          docker volume ls -q --filter "label=com.docker.compose.project=$project5";
          docker network ls -q --filter "name=$KARST_NETWORK")"
  if [[ -n "$left" ]]; then
    echo "FAIL: left behind after cleanup: $left"
    rc=1
  fi
  if [[ -n "$dockerd_pid" ]]; then
    kill "$dockerd_pid" 2>/dev/null && wait "$dockerd_pid" 2>/dev/null
  fi
  if ((rc == 0)); then
    if ((own_out)); then rm -rf "$out"; fi
    echo "deploy test: passed in $((SECONDS - started))s"
  else
    echo "deploy test: FAILED after $((SECONDS - started))s (logs in $out)"
  fi
  exit "$rc"
}
trap cleanup EXIT
# A signal ends the test through the EXIT trap too, so an interrupted run leaves nothing behind.
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# wait_for SECONDS WHAT CMD...: polls CMD (every 0.5 s) until it succeeds or the deadline passes.
wait_for() {
  local seconds="$1" what="$2"
  local deadline=$((SECONDS + seconds))
  shift 2
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || fail "timed out after $seconds s waiting for $what"
    sleep 0.5
  done
}

# --- 1. Docker engine and base image -------------------------------------------------------
for tool in docker debootstrap curl bazel promtool; do
  command -v "$tool" >/dev/null || fail "$tool is missing (tools/setup.sh installs it)"
done
# kubectl is not a Debian package (Debian's kubernetes-client is 1.20, too old for the
# overlays' kustomize syntax); the project's machines come with it.
command -v kubectl >/dev/null || fail "kubectl is missing (needed for kubectl kustomize)"
command -v docker-compose >/dev/null || docker compose version >/dev/null 2>&1 ||
  fail "docker-compose is missing (tools/setup.sh installs it)"
if ! docker info >/dev/null 2>&1; then
  [[ $(id -u) -eq 0 ]] || fail "no Docker engine answers and starting dockerd needs root"
  step "starting dockerd"
  dockerd >"$out/dockerd.log" 2>&1 &
  dockerd_pid=$!
  wait_for 60 "dockerd" docker info
fi
step "base image"
deploy/docker/base-image.sh debian:bookworm

# --- 2. Images ----------------------------------------------------------------------------
step "building karst:latest (deploy/docker/build.sh --prebuilt)"
t0=$SECONDS
deploy/docker/build.sh --prebuilt >"$out/build.log" 2>&1 || { tail -30 "$out/build.log"; fail "image build"; }
step "karst:latest built in $((SECONDS - t0))s"
DOCKER_BUILDKIT=0 docker build -q --network host -t karst-prometheus:latest deploy/prometheus \
  >"$out/build-prometheus.log" 2>&1 || { tail -30 "$out/build-prometheus.log"; fail "prometheus image"; }
# The host's karst, from the same Bazel config build.sh used (KARST_DEPLOY_BAZEL_CONFIG).
config="${KARST_DEPLOY_BAZEL_CONFIG-release}"
karst="$(bazel info ${config:+--config="$config"} bazel-bin 2>/dev/null)/client/cli/karst"
[[ -x "$karst" ]] || fail "no host karst binary at $karst"

uid="$(docker run --rm karst:latest id -u)"
[[ "$uid" != "0" ]] || fail "the image runs as root"
[[ "$(docker image inspect -f '{{.Config.User}}' karst:latest)" == "karst:karst" ]] ||
  fail "the image's USER is not karst:karst"
docker run --rm karst:latest karst --help >/dev/null 2>&1 || fail "karst does not run in the image"
step "image runs as uid $uid"

# The image alone, as docs/deploy.md shows it: an empty volume without KARST_CLUSTER_ID is
# refused at once; with it, one node formats the volume and turns healthy.
if docker run --rm karst:latest >"$out/no-cluster-id.log" 2>&1; then
  fail "the image started without KARST_CLUSTER_ID on an empty volume"
fi
grep -q "KARST_CLUSTER_ID is not set" "$out/no-cluster-id.log" ||
  fail "no plain message without KARST_CLUSTER_ID: $(cat "$out/no-cluster-id.log")"
single="$project-single-$$"
docker run -d --name "$single" -e KARST_CLUSTER_ID=single --label "com.docker.compose.project=$project" \
  karst:latest >/dev/null
single_healthy() { [[ "$(docker inspect -f '{{.State.Health.Status}}' "$single")" == healthy ]]; }
wait_for 90 "the single-node container's HEALTHCHECK" single_healthy
docker exec "$single" karst topics --bootstrap-server localhost:9092 --create --topic single \
  >/dev/null || fail "karst in the image cannot create a topic on its own node"
docker rm -f -v "$single" >/dev/null
step "single node: refused without a cluster id; healthy and serving with one"

# --- 3. Three nodes: produce, consume, kill, heal -------------------------------------------
bootstrap="127.0.0.1:19091,127.0.0.1:19092,127.0.0.1:19093"

ready() { [[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/readyz")" == 200 ]]; }
healthy() {
  [[ "$(docker inspect -f '{{.State.Health.Status}}' "$(compose3 ps -q "$1")")" == healthy ]]
}
wait_cluster_ready() {
  local n
  for n in 1 2 3; do
    wait_for 120 "karst-$n /readyz" ready "1964$n"
  done
}

# produce FIRST LAST: records "r-FIRST".."r-LAST" at acks=all; every one must be acknowledged.
produce() {
  seq -f 'r-%06g' "$1" "$2" |
    "$karst" produce --bootstrap-server "$bootstrap" --topic "$topic" \
      --request-required-acks all --producer-property delivery.timeout.ms=120000 \
      >>"$out/produce.log" 2>&1 || { tail -5 "$out/produce.log"; fail "produce $1..$2"; }
}

# consume_all N: reads the whole topic from the beginning (as many records as its end offsets
# add up to) and checks it holds every record r-1..r-N. Duplicates are allowed and counted:
# without idempotence (not in Karst yet) a producer's retry after a leader dies can append a
# batch twice, as in Kafka with enable.idempotence=false.
consume_all() {
  local total
  total="$("$karst" offsets --bootstrap-server "$bootstrap" --topic "$topic" |
    awk -F: '{ sum += $NF } END { print sum }')" || fail "karst offsets"
  ((total >= $1)) || fail "the topic holds $total records, fewer than $1"
  "$karst" consume --bootstrap-server "$bootstrap" --topic "$topic" --from-beginning \
    --max-messages "$total" --timeout-ms 60000 >"$out/consumed.txt" 2>>"$out/consume.log" ||
    fail "consume of $total records (see $out/consume.log)"
  sort -u "$out/consumed.txt" >"$out/consumed.sorted"
  seq -f 'r-%06g' 1 "$1" >"$out/expected.txt"
  cmp -s "$out/consumed.sorted" "$out/expected.txt" ||
    fail "read $(wc -l <"$out/consumed.sorted") distinct records, not r-1..r-$1 (diff $out/consumed.sorted $out/expected.txt)"
  step "read $total records: all $1 distinct ones, $((total - $1)) duplicates"
}

# describe: the topic's partition lines (karst topics --describe) into $out/describe.txt.
describe() {
  "$karst" topics --bootstrap-server "$bootstrap" --describe --topic "$topic" >"$out/describe.txt" &&
    [[ "$(grep -c 'Partition:' "$out/describe.txt")" -eq 3 ]]
}
# isr_full: every partition of the topic lists 3 replicas in its Isr.
isr_full() {
  describe && ! grep 'Partition:' "$out/describe.txt" | grep -vE 'Isr: [0-9]+,[0-9]+,[0-9]+([[:space:]]|$)' >/dev/null
}
# isr_without N: no partition's Isr lists node N, and every Isr has 2 members. (Lines may go
# on after the Isr, e.g. with "Offline: 2".)
isr_without() {
  describe && ! grep 'Partition:' "$out/describe.txt" | grep -vE 'Isr: [0-9]+,[0-9]+([[:space:]]|$)' >/dev/null &&
    ! grep -qE "Isr: ([0-9]+,)*$1(,|[[:space:]]|$)" "$out/describe.txt"
}

step "compose up (3 nodes + Prometheus)"
compose3 up -d >"$out/up3.log" 2>&1 || { cat "$out/up3.log"; fail "compose up"; }
wait_cluster_ready
for n in 1 2 3; do wait_for 60 "karst-$n healthcheck" healthy "karst-$n"; done
step "3 nodes ready and healthy"
for n in 1 2 3; do
  c="$(compose3 ps -q "karst-$n")"
  [[ "$(docker exec "$c" id -u)" == 10001 ]] || fail "karst-$n does not run as uid 10001"
  # The first start formats the volume (the check after recreating the containers relies on it).
  # (Logs go to a file first: grep -q would close the pipe early, and pipefail fail it.)
  docker logs "$c" >"$out/karst-$n.first.log" 2>&1
  grep -q "formatted /var/lib/karst/data for cluster.id $KARST_CLUSTER_ID" "$out/karst-$n.first.log" ||
    fail "karst-$n did not format its volume with KARST_CLUSTER_ID on first start"
done

"$karst" topics --bootstrap-server "$bootstrap" --create --topic "$topic" --partitions 3 \
  --replication-factor 3 --config min.insync.replicas=2 >/dev/null || fail "create topic"
wait_for 60 "ISR of 3 on every partition" isr_full
t0=$SECONDS
produce 1 10000
consume_all 10000
step "10,000 records produced at acks=all and read back in $((SECONDS - t0))s"
# A consumer group with committed offsets, for the consumer-group dashboard and lag alert: a
# member reads 4,000 records and commits them when it closes.
"$karst" consume --bootstrap-server "$bootstrap" --topic "$topic" --group deploy-test-group \
  --from-beginning --max-messages 4000 --timeout-ms 60000 >/dev/null 2>"$out/group-consume.log" ||
  fail "karst consume --group (see $out/group-consume.log)"
step "consumer group deploy-test-group read 4,000 records and committed"

step "killing karst-2"
docker kill "$(compose3 ps -q karst-2)" >/dev/null
t0=$SECONDS
produce 10001 20000
consume_all 20000
step "10,000 more records produced and all 20,000 read with karst-2 down, in $((SECONDS - t0))s"
wait_for 60 "every ISR to drop karst-2" isr_without 2
step "every partition's ISR shrank to 2 without karst-2:"
grep 'Partition:' "$out/describe.txt"

step "starting karst-2 again"
compose3 start karst-2 >/dev/null 2>&1
t0=$SECONDS
wait_for 120 "ISR back to 3 after karst-2 restarted" isr_full
step "ISR back to 3 on every partition in $((SECONDS - t0))s"
cat "$out/describe.txt"

# --- 4. Prometheus scrapes every node ---------------------------------------------------------
# all_targets_up N: Prometheus reports karst-1..N up (job karst).
all_targets_up() {
  curl -s http://127.0.0.1:19090/api/v1/targets >"$out/targets.json" &&
    /usr/bin/python3 - "$out/targets.json" "$1" <<'PY'
import json, sys
targets = json.load(open(sys.argv[1]))["data"]["activeTargets"]
up = {t["labels"].get("node") for t in targets if t["labels"]["job"] == "karst" and t["health"] == "up"}
sys.exit(0 if up == {f"karst-{i}" for i in range(1, int(sys.argv[2]) + 1)} else 1)
PY
}
wait_for 60 "Prometheus scraping karst-1..3" all_targets_up 3
step "Prometheus scrapes all three nodes; asking it every dashboard and alert query"
/usr/bin/python3 tests/deploy/check_queries.py http://127.0.0.1:19090 90 ||
  fail "dashboard or alert queries without data (tests/deploy/check_queries.py)"

# --- 5. New containers on the old volumes keep the data -------------------------------------
step "recreating every node on its volume"
compose3 stop -t 20 karst-1 karst-2 karst-3 >/dev/null 2>&1
compose3 rm -f karst-1 karst-2 karst-3 >/dev/null 2>&1
compose3 up -d >>"$out/up3.log" 2>&1 || fail "compose up after rm"
wait_cluster_ready
for n in 1 2 3; do
  docker logs "$(compose3 ps -q "karst-$n")" >"$out/karst-$n.recreated.log" 2>&1
  if grep -q 'formatted /var/lib/karst' "$out/karst-$n.recreated.log"; then
    fail "karst-$n formatted its storage again after the container was recreated"
  fi
done
consume_all 20000
step "all 20,000 records read back from recreated containers"

# --- 6. Prometheus config and rules, Kubernetes overlays -----------------------------------------
step "promtool, kubectl kustomize and the overlays' pods in Docker"
promtool check rules deploy/prometheus/alerts.yml >"$out/promtool.log" 2>&1 ||
  { cat "$out/promtool.log"; fail "promtool check rules"; }
for f in prometheus.yml prometheus.5.yml; do
  # The compose files mount deploy/prometheus at /etc/karst-prometheus.
  sed "s|/etc/karst-prometheus/|$repo/deploy/prometheus/|" "deploy/prometheus/$f" >"$out/$f"
  promtool check config "$out/$f" >>"$out/promtool.log" 2>&1 ||
    { cat "$out/promtool.log"; fail "promtool check config $f"; }
done
/usr/bin/python3 deploy/grafana/make_dashboards.py --check || fail "dashboards out of date"
/usr/bin/python3 tests/deploy/check_k8s.py || fail "deploy/k8s wiring (check_k8s.py)"
tests/deploy/k8s_pods_test.sh 3-nodes || fail "deploy/k8s 3-nodes pods in Docker"
tests/deploy/k8s_pods_test.sh 5-nodes || fail "deploy/k8s 5-nodes pods in Docker"

# --- 7. Five nodes ------------------------------------------------------------------------------
if [[ "${KARST_DEPLOY_FIVE:-1}" == 1 ]]; then
  compose3 down -v --remove-orphans -t 10 >"$out/down3.log" 2>&1
  step "compose up (5 nodes)"
  bootstrap="127.0.0.1:19091,127.0.0.1:19092,127.0.0.1:19093,127.0.0.1:19094,127.0.0.1:19095"
  compose5 up -d >"$out/up5.log" 2>&1 || { cat "$out/up5.log"; fail "compose up (5 nodes)"; }
  for n in 1 2 3 4 5; do wait_for 120 "karst-$n /readyz (5 nodes)" ready "1964$n"; done
  "$karst" topics --bootstrap-server "$bootstrap" --create --topic "$topic" --partitions 3 \
    --replication-factor 3 >/dev/null || fail "create topic (5 nodes)"
  produce 1 1000
  consume_all 1000
  wait_for 60 "Prometheus scraping karst-1..5" all_targets_up 5
  "$karst" quorum --bootstrap-server "$bootstrap" describe --status >"$out/quorum5.txt" ||
    fail "karst quorum describe (5 nodes)"
  step "5 nodes: 1,000 records produced and read back, Prometheus scrapes all five; quorum:"
  cat "$out/quorum5.txt"
fi
