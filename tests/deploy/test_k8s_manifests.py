"""deploy/k8s: both overlays render, validate against the Kubernetes schemas (and the CRD schemas for the
CloudNativePG and cert-manager resources), and follow the rules of docs/deployment.md."""

from __future__ import annotations

import json
import re

import jsonschema
import kubernetes_validate
import pytest

from .helpers import OVERLAYS, PORTS, SCHEMAS, SERVICES, of_kind, render

K8S_VERSION = "1.32.0"
CRD_SCHEMAS = {  # (apiVersion, kind) -> vendored schema file (see schemas/README.md)
    ("postgresql.cnpg.io/v1", "Cluster"): "cnpg-cluster.json",
    ("postgresql.cnpg.io/v1", "ScheduledBackup"): "cnpg-scheduledbackup.json",
    ("postgresql.cnpg.io/v1", "Database"): "cnpg-database.json",
    ("cert-manager.io/v1", "Certificate"): "cert-manager-certificate.json",
    ("cert-manager.io/v1", "Issuer"): "cert-manager-issuer.json",
    ("cert-manager.io/v1", "ClusterIssuer"): "cert-manager-issuer.json",
}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_manifest_validates(overlay):
    docs = render(overlay)
    assert len(docs) > 50
    crds = 0
    for doc in docs:
        key = (doc["apiVersion"], doc["kind"])
        where = f"{doc['kind']}/{doc['metadata']['name']}"
        if key in CRD_SCHEMAS:
            schema = json.loads((SCHEMAS / CRD_SCHEMAS[key]).read_text())
            errors = [f"{list(e.absolute_path)}: {e.message}" for e in jsonschema.Draft7Validator(schema).iter_errors(doc)]
            assert not errors, f"{where}: {errors}"
            crds += 1
        else:
            kubernetes_validate.validate(doc, K8S_VERSION, strict=True)  # raises on any error or unknown field
    assert crds >= 4


def test_crd_schemas_catch_mistakes():
    """The CRD validation is real: a misspelt or mistyped field fails."""
    cluster = next(d for d in render("prod") if d["kind"] == "Cluster")
    schema = json.loads((SCHEMAS / "cnpg-cluster.json").read_text())
    bad = json.loads(json.dumps(cluster))
    bad["spec"]["instance"] = 3
    assert list(jsonschema.Draft7Validator(schema).iter_errors(bad))
    bad = json.loads(json.dumps(cluster))
    bad["spec"]["instances"] = "three"
    assert list(jsonschema.Draft7Validator(schema).iter_errors(bad))
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
                                      "spec": {"replicas": "two"}}, K8S_VERSION, strict=True)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_deployment_has_probes_limits_nonroot_and_a_pdb(overlay):
    docs = render(overlay)
    deployments = of_kind(docs, "Deployment")
    assert sorted(d["metadata"]["name"] for d in deployments) == sorted(SERVICES)
    pdbs = of_kind(docs, "PodDisruptionBudget")
    hpas = {h["spec"]["scaleTargetRef"]["name"] for h in of_kind(docs, "HorizontalPodAutoscaler")}
    accounts = {a["metadata"]["name"] for a in of_kind(docs, "ServiceAccount")}
    services = {s["metadata"]["name"] for s in of_kind(docs, "Service")}
    for dep in deployments:
        name, pod = dep["metadata"]["name"], dep["spec"]["template"]
        assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
        assert pod["spec"]["serviceAccountName"] == name in accounts
        assert name in hpas and name in services
        labels = pod["metadata"]["labels"]
        assert any(all(labels.get(k) == v for k, v in p["spec"]["selector"]["matchLabels"].items()) for p in pdbs), name
        for c in pod["spec"]["containers"]:
            assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
            assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
            assert set(c["resources"]["limits"]) >= {"cpu", "memory"}
            assert set(c["resources"]["requests"]) >= {"cpu", "memory"}
            sc = c["securityContext"]
            assert sc["allowPrivilegeEscalation"] is False and sc["readOnlyRootFilesystem"] is True
            assert sc["capabilities"]["drop"] == ["ALL"] and sc.get("runAsUser", 10001) != 0
            assert c["ports"][0]["containerPort"] == PORTS[name]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_pod_of_every_workload_is_limited_and_non_root(overlay):
    for doc in render(overlay):
        if doc["kind"] not in ("Deployment", "StatefulSet", "Job"):
            continue
        pod = doc["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, doc["metadata"]["name"]
        for c in pod["containers"]:
            assert c["resources"]["limits"]["memory"], doc["metadata"]["name"]
            assert c["securityContext"]["allowPrivilegeEscalation"] is False


def _peers(rules: list[dict], key: str) -> set[tuple]:
    """Each allowed (peer, port) of a policy's ingress or egress rules, as comparable tuples."""
    found = set()
    for rule in rules or []:
        ports = tuple(sorted(p.get("port", "*") for p in rule.get("ports", []))) or ("*",)
        for peer in rule[key]:
            if "ipBlock" in peer:
                who = ("internet", peer["ipBlock"]["cidr"])
            elif "namespaceSelector" in peer:
                who = ("namespace", *sorted(peer["namespaceSelector"]["matchLabels"].values()),
                       *sorted(peer.get("podSelector", {}).get("matchLabels", {}).values()))
            else:
                who = ("pod", *sorted(f"{k}={v}" for k, v in peer["podSelector"]["matchLabels"].items()))
            found.add((who, ports))
    return found


NATS = (("pod", "app.kubernetes.io/name=nats"), (4222,))
POSTGRES = (("pod", "app.kubernetes.io/name=postgres"), (5432,))
INTERNET = (("internet", "0.0.0.0/0"), (443,))
DNS = (("namespace", "kube-system", "kube-dns"), (53, 53))
# intake's desk gateway calls the classifier (preview, types, manuals), the notifier (roster) and the weather service
# (warnings layer) over HTTPS; it never calls reporting (the desk only links to the dashboard in the browser).
EXPECTED_EGRESS = {
    "intake": {NATS, POSTGRES, *((("pod", f"app.kubernetes.io/name={s}"), (PORTS[s],))
                                for s in ("classifier", "notifier", "weather"))},
    "classifier": {NATS, POSTGRES},
    "notifier": {NATS, POSTGRES, INTERNET},
    "weather": {NATS, POSTGRES, INTERNET},
    "reporting": {NATS, POSTGRES},
}
PUBLIC = ("namespace", "ingress-nginx")  # the ingress controller
MONITORING = ("namespace", "monitoring")  # Prometheus scraping /metrics
FROM_INTAKE = ("pod", "app.kubernetes.io/name=intake")
EXPECTED_INGRESS = {  # who may open each service's HTTPS port
    "intake": {PUBLIC, MONITORING},
    "classifier": {FROM_INTAKE, MONITORING},
    "notifier": {PUBLIC, FROM_INTAKE, MONITORING},
    "weather": {FROM_INTAKE, MONITORING},
    "reporting": {PUBLIC, MONITORING},
}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_network_policies_allow_only_what_is_listed(overlay):
    policies = {p["metadata"]["name"]: p["spec"] for p in of_kind(render(overlay), "NetworkPolicy")}
    deny = policies["default-deny"]
    assert deny["podSelector"] == {} and set(deny["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny and "egress" not in deny
    assert _peers(policies["allow-dns"]["egress"], "to") == {DNS}
    for svc, expected in EXPECTED_EGRESS.items():
        spec = policies[svc]
        assert spec["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": svc}
        assert _peers(spec["egress"], "to") == expected, svc
        internet = [r for r in spec["egress"] for p in r["to"] if "ipBlock" in p]
        for rule in internet:  # the outside world only: no private range of the cluster or the city network
            assert {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"} <= set(rule["to"][0]["ipBlock"]["except"])
        assert _peers(spec["ingress"], "from") == {(who, (PORTS[svc],)) for who in EXPECTED_INGRESS[svc]}, svc
        assert _peers(policies[f"migrate-{svc}"].get("ingress"), "from") == set()
        assert _peers(policies[f"migrate-{svc}"]["egress"], "to") == {POSTGRES}
    assert _peers(policies["nats-streams"]["egress"], "to") == {NATS}
    # no policy other than the ones checked above opens egress to anything
    checked = set(EXPECTED_EGRESS) | {f"migrate-{s}" for s in SERVICES} | {"nats-streams", "allow-dns", "default-deny",
                                                                           "nats", "postgres"}
    assert set(policies) == checked
    assert _peers(policies["nats"]["egress"], "to") == {(("pod", "app.kubernetes.io/name=nats"), (6222,))}
    assert _peers(policies["postgres"]["egress"], "to") == {(("pod", "app.kubernetes.io/name=postgres"), ("*",))}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_postgres_pods_carry_the_label_the_policies_select(overlay):
    docs = render(overlay)
    if overlay == "prod":
        cluster = of_kind(docs, "Cluster")[0]
        assert cluster["spec"]["inheritedMetadata"]["labels"]["app.kubernetes.io/name"] == "postgres"
        assert cluster["spec"]["backup"]["barmanObjectStore"]["destinationPath"]
        assert of_kind(docs, "ScheduledBackup")
        assert {d["spec"]["name"]: d["spec"]["owner"] for d in of_kind(docs, "Database")} == {
            f"sunmoon_{s}": s for s in SERVICES}
        assert not [s for s in of_kind(docs, "StatefulSet") if s["metadata"]["name"] == "postgres"]
    else:
        sts = next(s for s in of_kind(docs, "StatefulSet") if s["metadata"]["name"] == "postgres")
        assert sts["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"] == "postgres"
        assert not of_kind(docs, "Cluster")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_nats_is_a_three_node_jetstream_cluster_that_syncs_always(overlay):
    docs = render(overlay)
    sts = next(s for s in of_kind(docs, "StatefulSet") if s["metadata"]["name"] == "nats")
    assert sts["spec"]["replicas"] == 3
    conf = next(c for c in of_kind(docs, "ConfigMap") if c["metadata"]["name"] == "nats-config")["data"]["nats.conf"]
    assert re.search(r"jetstream\s*\{[^}]*sync_interval:\s*always", conf)
    assert conf.count("nats://nats-") == 3
    job = next(j for j in of_kind(docs, "Job") if j["metadata"]["name"] == "nats-streams")
    c = job["spec"]["template"]["spec"]["containers"][0]
    assert c["command"] == ["python", "-m", "sunmoon.streams"] and c["args"] == ["ensure", "--replicas", "3"]
    migrations = {j["metadata"]["name"] for j in of_kind(docs, "Job")}
    assert {f"migrate-{s}" for s in SERVICES} <= migrations


SECRET_ENV = re.compile(r"(PASSWORD|SECRET|_KEYS?$|TOKEN)")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_no_secret_value_is_committed(overlay):
    docs = render(overlay)
    for s in of_kind(docs, "Secret"):
        assert not s.get("data") and not s.get("stringData"), s["metadata"]["name"]
    refs = set()
    for doc in docs:
        if doc["kind"] not in ("Deployment", "StatefulSet", "Job"):
            continue
        for c in doc["spec"]["template"]["spec"]["containers"]:
            for env in c.get("env", []):
                if SECRET_ENV.search(env["name"]) and env["name"] != "NATS_USER":
                    assert "valueFrom" in env and "secretKeyRef" in env["valueFrom"], (doc["metadata"]["name"], env)
                    refs.add(env["valueFrom"]["secretKeyRef"]["name"])
                elif "value" in env:
                    assert not re.fullmatch(r"[A-Za-z0-9+/]{40,}={0,2}", env["value"]), env
    # every Secret the manifests reference is one that deploy/k8s/create-secrets.sh creates
    script = (SCHEMAS.parents[2] / "deploy" / "k8s" / "create-secrets.sh").read_text()
    for name in refs:
        per_service = name.startswith("sunmoon-db-") and name[len("sunmoon-db-"):] in SERVICES
        assert name in script or (per_service and '"sunmoon-db-$svc"' in script), name
