#!/usr/bin/env bash
# Runs the pods of a Kubernetes overlay (deploy/k8s/overlays/OVERLAY) as plain Docker containers,
# since no Kubernetes cluster is reachable here: the rendered ConfigMap as the environment, the
# StatefulSet's container command, image and uid, hostnames karst-0..N-1, and network aliases
# standing in for the headless Service's pod names (karst-N.karst-headless and its
# .default.svc.cluster.local form) and the client Service (karst). The nodes must form the
# quorum with the voters the overlay names, become ready (/readyz, the readiness probe's path),
# and serve records produced and consumed through `karst:9092`.
#   tests/deploy/k8s_pods_test.sh [OVERLAY]     (default 3-nodes; needs kubectl and karst:latest)
# Removes its containers, network and volumes on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."

overlay="${1:-3-nodes}"
run="karst-k8s-$$"
work="$(mktemp -d)"
started=$SECONDS
step() { echo "[k8s-pods $((SECONDS - started))s] $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

replicas=0
cleanup() {
  local rc=$?
  set +e
  if ((rc != 0)); then
    for ((i = 0; i < replicas; i++)); do
      echo "--- last lines of $run-$i ---"
      docker logs "$run-$i" 2>&1 | tail -10
    done
  fi
  for ((i = 0; i < replicas; i++)); do docker rm -f -v "$run-$i" >/dev/null 2>&1; done
  for ((i = 0; i < replicas; i++)); do docker volume rm "$run-data-$i" >/dev/null 2>&1; done
  docker network rm "$run" >/dev/null 2>&1
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The pod spec, from the rendered overlay: env file, the container's shell script, replicas,
# uid, headless Service name.
kubectl kustomize "deploy/k8s/overlays/$overlay" >"$work/rendered.yaml"
/usr/bin/python3 - "$work" <<'PY'
import sys, yaml
work = sys.argv[1]
docs = [d for d in yaml.safe_load_all(open(f"{work}/rendered.yaml")) if d]
config = next(d for d in docs if d["kind"] == "ConfigMap")
sts = next(d for d in docs if d["kind"] == "StatefulSet")
pod = sts["spec"]["template"]["spec"]
container = pod["containers"][0]
assert container["command"][:2] == ["/bin/sh", "-c"], container["command"]
open(f"{work}/env", "w").write("".join(f"{k}={v}\n" for k, v in config["data"].items()))
open(f"{work}/script", "w").write(container["command"][2])
open(f"{work}/facts", "w").write(
    f"{sts['spec']['replicas']} {pod['securityContext']['runAsUser']} {sts['spec']['serviceName']}\n")
PY
read -r n uid headless <"$work/facts"

docker network create "$run" >/dev/null
replicas=$n
for ((i = 0; i < n; i++)); do
  docker run -d --name "$run-$i" --hostname "karst-$i" --network "$run" \
    --network-alias "karst-$i.$headless" \
    --network-alias "karst-$i.$headless.default.svc.cluster.local" --network-alias karst \
    --env-file "$work/env" -e POD_NAMESPACE=default --user "$uid:$uid" \
    -v "$run-data-$i:/var/lib/karst" --entrypoint /bin/sh karst:latest -c "$(cat "$work/script")" \
    >/dev/null
done
step "$n pods of overlay $overlay started"

ready() {
  [[ "$(docker exec "$1" bash -c 'exec 3<>/dev/tcp/127.0.0.1/9644;
        printf "GET /readyz HTTP/1.0\r\n\r\n" >&3; head -1 <&3' 2>/dev/null)" == *" 200"* ]]
}
for ((i = 0; i < n; i++)); do
  deadline=$((SECONDS + 120))
  until ready "$run-$i"; do
    ((SECONDS < deadline)) || fail "karst-$i not ready (/readyz) within 120 s"
    [[ "$(docker inspect -f '{{.State.Running}}' "$run-$i")" == true ]] || fail "karst-$i exited"
    sleep 0.5
  done
done
step "every pod ready"

k() { docker exec -i "$run-0" karst "$@"; }
k topics --bootstrap-server karst:9092 --create --topic k8s-wiring --partitions 3 \
  --replication-factor 3 >/dev/null || fail "create topic through the client Service name"
seq -f 'k-%04g' 1 1000 | k produce --bootstrap-server karst:9092 --topic k8s-wiring \
  --request-required-acks all || fail "produce"
got="$(k consume --bootstrap-server karst:9092 --topic k8s-wiring --from-beginning \
  --max-messages 1000 --timeout-ms 30000 | sort -u | wc -l)"
[[ "$got" -eq 1000 ]] || fail "read $got distinct records, not 1000"
k quorum --bootstrap-server karst:9092 describe --status >"$work/quorum"
voters="$(seq -s, 0 $((n - 1)))"
grep -q "CurrentVoters: *\[$voters\]" "$work/quorum" ||
  fail "voters are not [$voters]: $(cat "$work/quorum")"
k topics --bootstrap-server karst:9092 --describe --topic k8s-wiring >"$work/describe"
grep -q "Isr: " "$work/describe" || fail "no describe output"
step "1,000 records through karst:9092; voters [$voters]; pods advertise:"
docker exec "$run-0" sh -c 'echo $HOSTNAME' >/dev/null
docker logs "$run-0" 2>&1 | grep -m1 "advertised.listeners" || true
echo "k8s pods test ($overlay): passed in $((SECONDS - started))s"
