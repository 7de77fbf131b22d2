#!/usr/bin/python3
"""Checks deploy/compose.yaml: the services are the six, the gateway, Redis and PostgreSQL; every
SALESOS_* variable is a documented setting (--help) of that service's binary; the settings a
container needs are set; secrets come from compose `secrets:` files, never literal values.
Usage: check_compose.py (SALESOS_SOURCE_DIR and SALESOS_BIN_DIR in the environment)."""
import os
import re
import sys

import yaml

import deploy_rules as rules

_READ = re.compile(r"([A-Z][A-Z0-9_]*)=\$\$?\(cat /run/secrets/([a-z0-9_]+)\)")


def load(path):
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def conf_lines(path):
    with open(path, encoding="utf-8") as fh:
        return sorted(" ".join(l.split()) for l in fh if l.strip() and not l.lstrip().startswith("#"))


def image_env(source_dir):
    """ENV of the Dockerfile's last (runtime) stage: set in every container of the image."""
    with open(os.path.join(source_dir, "deploy", "docker", "Dockerfile"), encoding="utf-8") as fh:
        text = fh.read().replace("\\\n", " ")
    last = re.split(r"^FROM ", text, flags=re.M)[-1]
    env = {}
    for line in last.splitlines():
        m = re.match(r"ENV\s+([A-Z_][A-Z0-9_]*)[= ](\S+)", line)
        if m:
            env[m.group(1)] = m.group(2)
    return env


def check(doc, source_dir):
    errors = []
    from_image = image_env(source_dir)
    services = doc.get("services") or {}
    want = {rules.dashed(c) for c in rules.COMPONENTS} | {"redis", "postgres"}
    if set(services) != want:
        errors.append(f"services are {sorted(services)}, want {sorted(want)}")
    top_secrets = doc.get("secrets") or {}
    for name, s in top_secrets.items():
        if set(s) != {"file"}:
            errors.append(f"secret {name} is not a file (compose secrets: name: {{file: ...}})")

    redis = services.get("redis") or {}
    conf = next((v.split(":")[0] for v in redis.get("volumes") or [] if "redis.conf" in v), None)
    if not conf or "redis.conf" not in " ".join(redis.get("command") or []):
        errors.append("redis does not run with deploy/redis.conf")
    else:
        lines = conf_lines(os.path.join(source_dir, "deploy", conf))
        for w in ("appendonly yes", "appendfsync everysec"):
            if w not in lines:
                errors.append(f"deploy/redis.conf lacks '{w}'")
        k8s = conf_lines(os.path.join(source_dir, "k8s", "components", "redis", "redis.conf"))
        if k8s != lines:
            errors.append("k8s/components/redis/redis.conf and deploy/redis.conf differ")
    if not any(v.endswith(":/data") for v in redis.get("volumes") or []):
        errors.append("redis keeps no volume at /data (the AOF)")
    pg = services.get("postgres") or {}
    if not str(pg.get("image", "")).startswith("postgres:15"):
        errors.append("postgres is not postgres:15")
    if "healthcheck" not in pg or "healthcheck" not in redis:
        errors.append("postgres and redis need a healthcheck (depends_on waits for it)")
    if not any(v.endswith(":/var/lib/postgresql/data") for v in pg.get("volumes") or []):
        errors.append("postgres keeps no volume")
    for k, v in (pg.get("environment") or {}).items():
        if "PASSWORD" in k and not k.endswith("_FILE"):
            errors.append(f"postgres: {k} is a literal; use {k}_FILE with a secret")

    listen_ports = {}
    for comp in rules.COMPONENTS:
        s = services.get(rules.dashed(comp)) or {}
        env = s.get("environment") or {}
        key = "SALESOS_HTTP_ADDR" if comp == "gateway" else "SALESOS_LISTEN"
        listen_ports[comp] = str(env.get(key, "")).rsplit(":", 1)[-1]

    images = set()
    for comp in rules.COMPONENTS:
        name = rules.dashed(comp)
        s = services.get(name)
        if s is None:
            continue
        images.add(s.get("image"))
        settings = rules.settings_of(comp)
        env = {k: str(v) for k, v in (s.get("environment") or {}).items()}
        granted = set(s.get("secrets") or [])
        script = " ".join(s.get("entrypoint") or [])
        reads = dict(_READ.findall(script))
        cmd = s.get("command") or []
        if cmd[-1:] != [rules.binary_of(comp)]:
            errors.append(f"{name}: the command does not run {rules.binary_of(comp)}")
        for var, secret in reads.items():
            if secret not in granted:
                errors.append(f"{name}: reads /run/secrets/{secret}, which is not granted")
            if secret not in top_secrets:
                errors.append(f"{name}: secret {secret} is not defined")
        all_set = set(env) | set(reads) | set(from_image)
        for var in set(env) | set(reads):
            if var.startswith("SALESOS_") and var not in settings:
                errors.append(f"{name}: {var} is not a setting of {rules.binary_of(comp)}")
        for var, value in env.items():
            if rules.is_secret_value(var):
                errors.append(f"{name}: {var} is a literal in compose.yaml; read it from a secret file")
            if rules.is_secret_file(var):
                for f in value.split(","):
                    m = re.fullmatch(r"/run/secrets/([a-z0-9_]+)", f)
                    if not m or m.group(1) not in granted or m.group(1) not in top_secrets:
                        errors.append(f"{name}: {var}={f} is not a granted compose secret")
        for group in rules.required_settings(settings):
            if not any(g in all_set for g in group):
                errors.append(f"{name}: required setting {' or '.join(group)} is not set")
        if "SALESOS_DATABASE_URL" in settings:
            url = env.get("SALESOS_DATABASE_URL", "")
            if not re.fullmatch(r"postgresql://[a-z_]+@postgres:5432/\w+", url):
                errors.append(f"{name}: SALESOS_DATABASE_URL={url} is not postgresql://user@postgres:5432/db")
            if "PGPASSWORD" not in reads:
                errors.append(f"{name}: PGPASSWORD is not read from a secret file")
        if env.get("SALESOS_REDIS_URL") != "redis://redis:6379":
            errors.append(f"{name}: SALESOS_REDIS_URL is not redis://redis:6379")
        if env.get("SALESOS_METRICS_ADDR") != f"0.0.0.0:{rules.METRICS_PORT}":
            errors.append(f"{name}: SALESOS_METRICS_ADDR is not 0.0.0.0:{rules.METRICS_PORT}")
        key = "SALESOS_HTTP_ADDR" if comp == "gateway" else "SALESOS_LISTEN"
        if not env.get(key, "").startswith("0.0.0.0:"):
            errors.append(f"{name}: {key} does not listen on 0.0.0.0")
        for peer in rules.SERVICES:
            var = rules.peer_env(peer)
            if peer == comp or var not in settings:
                continue
            want = f"dns:///{rules.dashed(peer)}:{listen_ports[peer]}"
            if env.get(var) != want:
                errors.append(f"{name}: {var}={env.get(var)} is not {want} (that service's listen port)")
        deps = s.get("depends_on") or {}
        for infra in ("redis",) + (("postgres",) if "SALESOS_DATABASE_URL" in settings else ()):
            if (deps.get(infra) or {}).get("condition") != "service_healthy":
                errors.append(f"{name}: depends_on {infra} is not condition service_healthy")
    if len(images) != 1:
        errors.append(f"the seven containers run {len(images)} images, want one: {sorted(map(str, images))}")
    gw = services.get("gateway") or {}
    for peer in rules.SERVICES:
        if rules.dashed(peer) not in (gw.get("depends_on") or {}):
            errors.append(f"gateway: does not depend on {rules.dashed(peer)}")
    return errors


def main():
    source = os.environ["SALESOS_SOURCE_DIR"]
    errors = check(load(os.path.join(source, "deploy", "compose.yaml")), source)
    for e in errors:
        print("  " + e)
    print(f"deploy/compose.yaml: {len(errors)} problem(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
