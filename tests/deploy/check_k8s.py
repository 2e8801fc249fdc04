#!/usr/bin/python3
"""Offline checks of deploy/k8s: each overlay renders and is wired to what karstd serves.

    check_k8s.py            (from anywhere; needs kubectl for `kubectl kustomize`)

No API server is reachable here, so `kubectl apply --dry-run=client` cannot run (it asks the
server for its API list). Instead `kubectl kustomize` renders each overlay offline, and this
script checks what matters for the cluster to form:
  - every object has apiVersion, kind and metadata.name, of a kind and version Kubernetes serves;
  - the controller quorum voters are exactly the StatefulSet's stable names,
    <id>@<statefulset>-<id>.<headless service>:<controller port>, for ids 0..replicas-1 (pod
    karst-N is node N: the container derives KARST_NODE_ID from its hostname);
  - listener, controller and admin ports agree between KARST_* settings, container ports,
    Services and the Prometheus annotations; probes use the paths karstd's admin server
    serves (/readyz, /healthz);
  - every KARST_ variable names a key karstd defines (common/config/server_config_defs.cc);
  - selectors match the pod labels; the data volume is the image's /var/lib/karst; the pod
    runs as the image's non-root uid; there is a preStop hook and Parallel pod management.
Prints one line per overlay and a total; exits 1 on any failure.
"""
import os
import re
import subprocess
import sys

import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OVERLAYS = {"3-nodes": 3, "5-nodes": 5}
KNOWN = {("v1", "ConfigMap"), ("v1", "Service"), ("apps/v1", "StatefulSet"),
         ("policy/v1", "PodDisruptionBudget")}


def karstd_facts():
    """Config keys (as KARST_ variables), admin paths and the image's uid, from the sources."""
    defs = open(os.path.join(REPO, "common/config/server_config_defs.cc")).read()
    keys = re.findall(r'(?:Int|Long|Bool|String|List)\("([a-z0-9.]+)"', defs)
    variables = {"KARST_" + k.upper().replace(".", "_") for k in keys}
    admin = open(os.path.join(REPO, "common/admin_server.cc")).read()
    paths = set(re.findall(r'path == "(/[a-z]+)"', admin))
    dockerfile = open(os.path.join(REPO, "deploy/docker/Dockerfile")).read()
    uid = int(re.search(r"useradd --system --uid (\d+)", dockerfile).group(1))
    volume = re.search(r'VOLUME \["([^"]+)"\]', dockerfile).group(1)
    return variables, paths, uid, volume


def port_of(listeners, name):
    for item in listeners.split(","):
        listener, _, address = item.partition("://")
        if listener == name:
            return int(address.rsplit(":", 1)[1])
    raise AssertionError(f"no {name} listener in {listeners}")


def check_overlay(overlay, replicas, facts):
    variables, admin_paths, uid, volume = facts
    rendered = subprocess.run(["kubectl", "kustomize", os.path.join(REPO, "deploy/k8s/overlays", overlay)],
                              check=True, capture_output=True, text=True).stdout
    docs = [d for d in yaml.safe_load_all(rendered) if d]
    for d in docs:
        assert d.get("metadata", {}).get("name"), f"an object without metadata.name: {d}"
        assert (d.get("apiVersion"), d.get("kind")) in KNOWN, f"unexpected {d.get('apiVersion')} {d.get('kind')}"
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d["kind"], []).append(d)
    (sts,) = by_kind["StatefulSet"]
    (config,) = by_kind["ConfigMap"]
    (pdb,) = by_kind["PodDisruptionBudget"]
    services = {s["metadata"]["name"]: s for s in by_kind["Service"]}
    spec = sts["spec"]
    pod = spec["template"]["spec"]
    (container,) = pod["containers"]
    env = config["data"]
    labels = spec["template"]["metadata"]["labels"]

    assert spec["replicas"] == replicas, f"replicas {spec['replicas']}, expected {replicas}"
    assert spec.get("podManagementPolicy") == "Parallel", "pods must start together to form the quorum"
    headless = services[spec["serviceName"]]
    assert headless["spec"].get("clusterIP") == "None", "serviceName must be a headless Service"
    assert headless["spec"].get("publishNotReadyAddresses") is True, \
        "voters must resolve each other before they are ready"
    assert spec["selector"]["matchLabels"].items() <= labels.items()
    for s in services.values():
        assert s["spec"]["selector"].items() <= labels.items(), f"Service {s['metadata']['name']} selects no pod"
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items(), "the PDB selects no pod"

    # The per-pod settings the container command exports, and the ConfigMap's.
    command = " ".join(container.get("command", []))
    exported = set(re.findall(r"export (KARST_[A-Z_]+)=", command))
    assert {"KARST_NODE_ID", "KARST_ADVERTISED_LISTENERS"} <= exported
    assert 'KARST_NODE_ID="${HOSTNAME##*-}"' in command, "node.id must be the pod's ordinal"
    unknown = (set(env) | exported) - variables
    assert not unknown, f"karstd defines no key for {sorted(unknown)}"

    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    controller_name = env["KARST_CONTROLLER_LISTENER_NAMES"].split(",")[0]
    assert port_of(env["KARST_LISTENERS"], controller_name) == ports["controller"]
    assert port_of(env["KARST_LISTENERS"], env["KARST_INTER_BROKER_LISTENER_NAME"]) == ports["kafka"]
    assert int(env["KARST_ADMIN_LISTENER"].rsplit(":", 1)[1]) == ports["admin"]
    advertised = re.search(r'KARST_ADVERTISED_LISTENERS="([^"]+)"', command).group(1)
    assert advertised.startswith(f"PLAINTEXT://${{HOSTNAME}}.{headless['metadata']['name']}.")
    assert advertised.endswith(f":{ports['kafka']}")

    name, service = sts["metadata"]["name"], headless["metadata"]["name"]
    expected = ",".join(f"{i}@{name}-{i}.{service}:{ports['controller']}" for i in range(replicas))
    assert env["KARST_CONTROLLER_QUORUM_VOTERS"] == expected, \
        f"voters {env['KARST_CONTROLLER_QUORUM_VOTERS']}, expected {expected}"

    for s in services.values():
        for p in s["spec"]["ports"]:
            assert p["targetPort"] in ports and p["port"] == ports[p["targetPort"]], f"{s['metadata']['name']} {p}"
    for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz"),
                        ("startupProbe", "/healthz")):
        get = container[probe]["httpGet"]
        assert get["path"] == path and path in admin_paths, f"{probe} {get}"
        assert get["port"] in ("admin", ports["admin"]), f"{probe} port {get['port']}"
    annotations = spec["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert int(annotations["prometheus.io/port"]) == ports["admin"]
    assert annotations["prometheus.io/path"] == "/metrics"

    assert container["lifecycle"]["preStop"]["exec"]["command"], "no preStop hook"
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] == uid
    (claim,) = spec["volumeClaimTemplates"]
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert mounts[claim["metadata"]["name"]] == volume, f"data must be mounted at the image's {volume}"
    assert env["KARST_LOG_DIRS"].startswith(volume + "/")
    assert container["resources"]["requests"] and container["resources"]["limits"]
    assert pod["affinity"]["podAntiAffinity"], "no pod anti-affinity"


def main():
    facts = karstd_facts()
    passed = failed = 0
    for overlay, replicas in OVERLAYS.items():
        try:
            check_overlay(overlay, replicas, facts)
            print(f"ok   deploy/k8s/overlays/{overlay}: {replicas} voters wired to the StatefulSet's names")
            passed += 1
        except (AssertionError, KeyError, subprocess.CalledProcessError) as e:
            detail = e.stderr if isinstance(e, subprocess.CalledProcessError) else repr(e)
            print(f"FAIL deploy/k8s/overlays/{overlay}: {detail}")
            failed += 1
    print(f"check_k8s: {passed} of {passed + failed} overlays wired correctly")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
