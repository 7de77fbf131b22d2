#!/usr/bin/python3
"""The deployment checkers can fail: each case below breaks one thing in the real rendered
manifests (or the real compose file / Dockerfile) and expects the checker to name it, after the
unbroken input passes. Usage: checker_selftest.py <dev.yaml> <prod.yaml>"""
import copy
import os
import sys

import check_compose
import check_image
import check_manifests as cm

failures = []


def expect(label, errors, needle):
    if not any(needle in e for e in errors):
        failures.append(f"{label}: expected a problem containing '{needle}', got {errors[:5]}")


def obj(objects, kind, name):
    return next(o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name)


def container(objects, name):
    return obj(objects, "Deployment", name)["spec"]["template"]["spec"]["containers"][0]


def env_remove(c, name):
    c["env"] = [e for e in c["env"] if e["name"] != name]


def manifest_cases(dev, prod):
    source = os.environ["SALESOS_SOURCE_DIR"]

    def run(overlay, base, mutate):
        objects = copy.deepcopy(base)
        mutate(objects)
        return cm.check(overlay, objects, source_dir=source)

    for overlay, base in (("dev", dev), ("prod", prod)):
        clean = cm.check(overlay, base, source_dir=source)
        if clean:
            failures.append(f"{overlay}: the unbroken manifests fail: {clean[:5]}")

    cases = [
        ("a Deployment without a readiness probe", "dev",
         lambda o: container(o, "salesos-campaign").pop("readinessProbe"), "no readinessProbe"),
        ("a service probed over HTTP instead of gRPC", "dev",
         lambda o: container(o, "salesos-auth").update(livenessProbe={"tcpSocket": {"port": 50051}}),
         "livenessProbe is not a gRPC probe"),
        ("a Service selecting nothing", "dev",
         lambda o: obj(o, "Service", "salesos-analytics")["spec"].update(selector={"app.kubernetes.io/name": "analytic"}),
         "selects no Deployment"),
        ("a Service targeting a port no container has", "dev",
         lambda o: obj(o, "Service", "salesos-auth")["spec"]["ports"][0].update(targetPort="grcp"),
         "targetPort grcp names no container port"),
        ("a gRPC Service with a cluster IP", "dev",
         lambda o: obj(o, "Service", "salesos-campaign")["spec"].pop("clusterIP"), "headless"),
        ("a setting the binary does not have", "dev",
         lambda o: container(o, "salesos-analytics")["env"].append({"name": "SALESOS_BOGUS", "value": "1"}),
         "SALESOS_BOGUS is not a setting of salesos-analytics"),
        ("a setting of another binary", "dev",
         lambda o: container(o, "salesos-gateway")["env"].append({"name": "SALESOS_JWT_KEY_FILE", "value": "/x"}),
         "SALESOS_JWT_KEY_FILE is not a setting of salesos-gateway"),
        ("a required setting left out", "dev",
         lambda o: env_remove(container(o, "salesos-conversation"), "SALESOS_REDIS_URL"),
         "required setting SALESOS_REDIS_URL"),
        ("the JWT key left to each replica", "prod",
         lambda o: env_remove(container(o, "salesos-auth"), "SALESOS_JWT_KEY_FILE"),
         "required setting SALESOS_JWT_KEY_FILE"),
        ("a peer address naming no Service", "dev",
         lambda o: obj(o, "ConfigMap", next(x["metadata"]["name"] for x in o if x["kind"] == "ConfigMap" and x["metadata"]["name"].startswith("salesos-settings")))["data"].update({"campaign-addr": "dns:///salesos-campain:50052"}),
         "names no Service salesos-campain"),
        ("a Meta secret as a literal value", "prod",
         lambda o: container(o, "salesos-webhook-ingest")["env"].append({"name": "SALESOS_META_APP_SECRET", "value": "hunter2"}),
         "SALESOS_META_APP_SECRET is a secret"),
        ("Meta's verify token read from a file outside the secret volume", "prod",
         lambda o: [e.update(value="/var/lib/salesos/meta-verify-token") for e in container(o, "salesos-webhook-ingest")["env"] if e["name"] == "SALESOS_META_VERIFY_TOKEN_FILE"],
         "SALESOS_META_VERIFY_TOKEN_FILE=/var/lib/salesos/meta-verify-token is not on a secret volume"),
        ("no Meta secret at all", "dev",
         lambda o: env_remove(container(o, "salesos-webhook-ingest"), "SALESOS_META_APP_SECRET_FILE"),
         "SALESOS_META_APP_SECRET or SALESOS_META_APP_SECRET_FILE"),
        ("a Secret object with data", "prod",
         lambda o: o.append({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "salesos-meta"}, "data": {"app-secret": "aHVudGVyMg=="}}),
         "a Secret object"),
        ("a key file outside the secret volume", "dev",
         lambda o: [e.update(value="/var/lib/salesos/data.key") for e in container(o, "salesos-auth")["env"] if e["name"] == "SALESOS_DATA_KEY_FILE"],
         "is not on a secret volume"),
        ("a writable root filesystem", "prod",
         lambda o: container(o, "salesos-gateway")["securityContext"].update(readOnlyRootFilesystem=False),
         "readOnlyRootFilesystem is not True"),
        ("capabilities kept", "dev",
         lambda o: container(o, "salesos-auth")["securityContext"].pop("capabilities"), "do not drop ALL"),
        ("a grace period shorter than preStop plus the drain", "prod",
         lambda o: obj(o, "Deployment", "salesos-conversation")["spec"]["template"]["spec"].update(terminationGracePeriodSeconds=10),
         "terminationGracePeriodSeconds 10"),
        ("no preStop", "dev",
         lambda o: container(o, "salesos-campaign").pop("lifecycle"), "no preStop sleep"),
        ("no limits", "dev",
         lambda o: container(o, "salesos-campaign")["resources"].pop("limits"), "no limits.cpu"),
        ("no metrics port", "dev",
         lambda o: container(o, "salesos-analytics")["ports"].pop(), "no container port 'metrics'"),
        ("a NetworkPolicy selecting no pods", "prod",
         lambda o: obj(o, "NetworkPolicy", "salesos-analytics")["spec"].update(podSelector={"matchLabels": {"app.kubernetes.io/name": "analitics"}}),
         "matches no workload"),
        ("a call the code makes, blocked", "prod",
         lambda o: obj(o, "NetworkPolicy", "salesos-conversation")["spec"]["egress"].pop(2),
         "conversation calls ai_orchestration but the network policies do not let it"),
        ("a call the code does not make, allowed", "prod",
         lambda o: (obj(o, "NetworkPolicy", "salesos-analytics")["spec"]["egress"].append(
             {"to": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "campaign"}}}]}),
             obj(o, "NetworkPolicy", "salesos-campaign")["spec"]["ingress"][0]["from"].append(
             {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "analytics"}}})),
         "let analytics reach campaign"),
        ("the internet opened to analytics", "prod",
         lambda o: obj(o, "NetworkPolicy", "salesos-analytics")["spec"]["egress"].append(
             {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": 443}]}),
         "analytics may reach the internet"),
        ("the ingress controller shut out", "prod",
         lambda o: obj(o, "NetworkPolicy", "salesos-gateway")["spec"]["ingress"].pop(0),
         "reach its http port 8080"),
        ("no default deny", "prod",
         lambda o: o.remove(obj(o, "NetworkPolicy", "salesos-default-deny")), "no default deny-all"),
        ("an HPA of a missing Deployment", "prod",
         lambda o: obj(o, "HorizontalPodAutoscaler", "salesos-gateway")["spec"]["scaleTargetRef"].update(name="salesos-gw"),
         "HorizontalPodAutoscaler target Deployment/salesos-gw"),
        ("a PDB selecting nothing", "prod",
         lambda o: obj(o, "PodDisruptionBudget", "salesos-auth")["spec"].update(selector={"matchLabels": {"app": "auth"}}),
         "PodDisruptionBudget selects no"),
        ("one replica in prod", "prod",
         lambda o: obj(o, "Deployment", "salesos-campaign")["spec"].update(replicas=1), "want 2 or more"),
        ("an Ingress without WebSocket timeouts", "prod",
         lambda o: obj(o, "Ingress", "salesos-gateway")["metadata"]["annotations"].pop("nginx.ingress.kubernetes.io/proxy-read-timeout"),
         "proxy-read-timeout is below 3600"),
        ("Redis without AOF", "dev",
         lambda o: [c.update(data={"redis.conf": "appendonly no\n"}) for c in o if c["kind"] == "ConfigMap" and c["metadata"]["name"].startswith("salesos-redis-config")],
         "lacks 'appendonly yes'"),
    ]
    for label, overlay, mutate, needle in cases:
        expect(label, run(overlay, dev if overlay == "dev" else prod, mutate), needle)
    return len(cases)


def compose_cases():
    source = os.environ["SALESOS_SOURCE_DIR"]
    path = os.path.join(source, "deploy", "compose.yaml")
    base = check_compose.load(path)
    clean = check_compose.check(base, source)
    if clean:
        failures.append(f"compose: the unbroken file fails: {clean[:5]}")

    def run(mutate):
        d = copy.deepcopy(base)
        mutate(d)
        return check_compose.check(d, source)

    svc = lambda d, n: d["services"][n]
    cases = [
        ("a missing service", lambda d: d["services"].pop("analytics"), "services are"),
        ("a setting the binary lacks", lambda d: svc(d, "campaign")["environment"].update(SALESOS_NOPE="1"),
         "SALESOS_NOPE is not a setting of salesos-campaign"),
        ("a literal secret", lambda d: svc(d, "webhook-ingest")["environment"].update(SALESOS_META_VERIFY_TOKEN="abc"),
         "SALESOS_META_VERIFY_TOKEN is a literal"),
        ("a secret file not granted", lambda d: svc(d, "auth").update(secrets=["postgres_password", "service_secret", "data_key"]),
         "not a granted compose secret"),
        ("Meta's secret file not granted", lambda d: svc(d, "webhook-ingest")["secrets"].remove("meta_app_secret"),
         "SALESOS_META_APP_SECRET_FILE=/run/secrets/meta_app_secret is not a granted compose secret"),
        ("a secret from the environment", lambda d: d["secrets"].update(jwt_key={"environment": "JWT"}),
         "jwt_key is not a file"),
        ("SQLite in compose", lambda d: svc(d, "analytics")["environment"].pop("SALESOS_DATABASE_URL"),
         "required setting SALESOS_DATABASE_URL"),
        ("a peer that is not a service", lambda d: svc(d, "gateway")["environment"].update(SALESOS_AUTH_ADDR="dns:///oauth:50051"),
         "SALESOS_AUTH_ADDR"),
        ("postgres without a healthcheck", lambda d: svc(d, "postgres").pop("healthcheck"), "healthcheck"),
        ("depends_on without health", lambda d: svc(d, "campaign")["depends_on"].update(redis={"condition": "service_started"}),
         "service_healthy"),
    ]
    for label, mutate, needle in cases:
        expect("compose: " + label, run(mutate), needle)
    return len(cases)


def image_cases():
    source = os.environ["SALESOS_SOURCE_DIR"]
    with open(os.path.join(source, "deploy", "docker", "Dockerfile"), encoding="utf-8") as fh:
        text = fh.read()
    packages = check_image.installed_packages()
    cases = [
        ("a build package ./salesos deps lacks", text.replace("libpq-dev", "libpq-dev libfoo-dev"),
         "libfoo-dev is not in ./salesos PACKAGES"),
        ("a runtime stage missing a library", text.replace(" libpq5", ""), "libpq.so.5"),
        ("a compiler in the runtime stage", text.replace("ca-certificates tzdata", "ca-certificates tzdata g++"),
         "g++"),
        ("a root runtime user", text.replace("USER 10001:10001", "USER root"), "USER"),
        ("a missing -dev library", text.replace(" libsodium-dev", ""), "libsodium"),
    ]
    for label, mutated, needle in cases:
        expect("image: " + label, check_image.check(mutated, source, packages, static_only=False), needle)
    return len(cases)


def main(argv):
    dev, prod = cm.load(argv[1]), cm.load(argv[2])
    n = manifest_cases(dev, prod) + compose_cases() + image_cases()
    for f in failures:
        print("FAIL " + f)
    print(f"{n} broken inputs, {len(failures)} not caught")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
