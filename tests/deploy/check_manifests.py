#!/usr/bin/python3
"""Checks the rendered Kubernetes objects of k8s/ (kubectl kustomize output) against the rules of
k8s/README.md. Usage: check_manifests.py <overlay name> <rendered.yaml> [...]; overlay names:
base, dev, prod. Prints every violation; exits 1 if there is any."""
import ipaddress
import re
import sys

import yaml

import deploy_rules as rules

SECURITY = {"readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False}


def load(path):
    with open(path, encoding="utf-8") as fh:
        return [d for d in yaml.safe_load_all(fh) if d]


def name_of(obj):
    return f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"


def matches(selector, labels):
    """A label selector (matchLabels / matchExpressions) against a label map."""
    if selector is None:
        return False
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in selector.get("matchExpressions") or []:
        op, key, values = e["operator"], e["key"], e.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


class Checker:
    def __init__(self, overlay, objects, bin_dir=None, source_dir=None):
        self.overlay, self.objects = overlay, objects
        self.bin_dir, self.source_dir = bin_dir, source_dir
        self.errors = []
        self.by_kind = {}
        for o in objects:
            self.by_kind.setdefault(o.get("kind"), []).append(o)
        self.workloads = self.by_kind.get("Deployment", []) + self.by_kind.get("StatefulSet", [])

    def err(self, obj, msg):
        self.errors.append(f"{self.overlay}: {name_of(obj) if obj else '-'}: {msg}")

    def find(self, kind, name):
        for o in self.by_kind.get(kind, []):
            if o["metadata"]["name"] == name:
                return o
        return None

    # --- helpers over pods -------------------------------------------------------------------
    @staticmethod
    def pod_labels(w):
        return w["spec"]["template"]["metadata"].get("labels") or {}

    @staticmethod
    def component(container):
        cmd = (container.get("command") or []) + (container.get("args") or [])
        return rules.component_of_binary(cmd[0]) if cmd else None

    def workload_of_component(self, comp):
        for w in self.workloads:
            for c in w["spec"]["template"]["spec"]["containers"]:
                if self.component(c) == comp:
                    return w
        return None

    def pods_selected(self, selector):
        return [w for w in self.workloads if matches(selector, self.pod_labels(w))]

    def env_value(self, w, container, name):
        """The value an env var has (ConfigMap references resolved); None when unset."""
        for e in container.get("env") or []:
            if e["name"] != name:
                continue
            if "value" in e:
                return str(e["value"])
            ref = (e.get("valueFrom") or {}).get("configMapKeyRef")
            if ref:
                cm = self.find("ConfigMap", ref["name"])
                return None if cm is None else (cm.get("data") or {}).get(ref["key"])
            return "<secret>"
        return None

    # --- the rules ---------------------------------------------------------------------------
    def run(self):
        self.check_no_secrets()
        for w in self.workloads:
            self.check_workload(w)
        for s in self.by_kind.get("Service", []):
            self.check_service(s)
        self.check_network_policies()
        for i in self.by_kind.get("Ingress", []):
            self.check_ingress(i)
        self.check_scaling()
        self.check_redis()
        if self.overlay != "base":
            for comp in rules.COMPONENTS:
                if self.workload_of_component(comp) is None:
                    self.err(None, f"no Deployment runs {rules.binary_of(comp)}")
        return self.errors

    def check_no_secrets(self):
        for o in self.by_kind.get("Secret", []):
            self.err(o, "a Secret object with literal data in the manifests (create Secrets with "
                        "kubectl, see k8s/README.md)")
        for cm in self.by_kind.get("ConfigMap", []):
            for k, v in (cm.get("data") or {}).items():
                if re.search(r"secret|password|token|api-key", k, re.I):
                    self.err(cm, f"key {k} looks like a secret in a ConfigMap")
                if re.search(r"://[^/@:]+:[^/@]+@", str(v)):
                    self.err(cm, f"{k} holds a URL with a password")

    def check_security(self, w, c, salesos):
        pod_sc = w["spec"]["template"]["spec"].get("securityContext") or {}
        sc = c.get("securityContext") or {}

        def get(k):
            return sc.get(k, pod_sc.get(k))
        if get("runAsNonRoot") is not True:
            self.err(w, f"container {c['name']}: runAsNonRoot is not true")
        uid = get("runAsUser")
        if salesos and uid != rules.RUNTIME_UID:
            self.err(w, f"container {c['name']}: runAsUser is {uid}, want {rules.RUNTIME_UID}")
        if not isinstance(uid, int) or uid == 0:
            self.err(w, f"container {c['name']}: runAsUser {uid} is not a non-root uid")
        for k, want in SECURITY.items():
            if sc.get(k) is not want:
                self.err(w, f"container {c['name']}: securityContext.{k} is not {want}")
        if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
            self.err(w, f"container {c['name']}: capabilities do not drop ALL")
        if (get("seccompProfile") or {}).get("type") != "RuntimeDefault":
            self.err(w, f"container {c['name']}: seccompProfile is not RuntimeDefault")

    def check_workload(self, w):
        spec = w["spec"]
        tpl = spec["template"]
        pod = tpl["spec"]
        labels = self.pod_labels(w)
        if not matches(spec.get("selector"), labels) or not spec.get("selector", {}).get("matchLabels"):
            self.err(w, "the selector does not match the pod template's labels")
        sa_name = pod.get("serviceAccountName")
        sa = self.find("ServiceAccount", sa_name) if sa_name else None
        if sa is None:
            self.err(w, f"serviceAccountName {sa_name} names no ServiceAccount")
        elif sa.get("automountServiceAccountToken") is not False:
            self.err(sa, "automountServiceAccountToken is not false")
        if pod.get("automountServiceAccountToken") is not False:
            self.err(w, "the pod mounts a service account token")
        volumes = {v["name"]: v for v in pod.get("volumes") or []}
        claims = {t["metadata"]["name"] for t in spec.get("volumeClaimTemplates") or []}
        for c in pod["containers"]:
            comp = self.component(c)
            salesos = comp is not None
            ports = {p.get("name"): p["containerPort"] for p in c.get("ports") or []}
            for probe in ("readinessProbe", "livenessProbe"):
                if probe not in c:
                    self.err(w, f"container {c['name']}: no {probe}")
                    continue
                if salesos:
                    self.check_salesos_probe(w, c, comp, probe, ports)
            res = c.get("resources") or {}
            for part in ("requests", "limits"):
                for r in ("cpu", "memory"):
                    if r not in (res.get(part) or {}):
                        self.err(w, f"container {c['name']}: no {part}.{r}")
            self.check_security(w, c, salesos)
            mounts = {m["mountPath"]: m for m in c.get("volumeMounts") or []}
            for m in mounts.values():
                if m["name"] not in volumes and m["name"] not in claims:
                    self.err(w, f"container {c['name']}: volumeMount {m['name']} names no volume")
            tmp = mounts.get("/tmp")
            if tmp is None or "emptyDir" not in volumes.get(tmp["name"], {}):
                self.err(w, f"container {c['name']}: /tmp is not a writable emptyDir")
            if salesos:
                self.check_salesos_container(w, c, comp, ports, mounts, volumes)

    def check_salesos_probe(self, w, c, comp, probe, ports):
        p = c[probe]
        if comp == "gateway":
            # The pod's own readiness (Redis, realtime): one service down must not take every
            # gateway out of the Service.
            want = "/readyz?scope=self" if probe == "readinessProbe" else "/healthz"
            get = p.get("httpGet") or {}
            port = get.get("port")
            if get.get("path") != want or (port not in ports and port not in ports.values()):
                self.err(w, f"container {c['name']}: {probe} is not an HTTP GET of {want} on a "
                            "container port")
        else:
            port = (p.get("grpc") or {}).get("port")
            if port is None or port != ports.get("grpc"):
                self.err(w, f"container {c['name']}: {probe} is not a gRPC probe of the grpc port")

    def check_salesos_container(self, w, c, comp, ports, mounts, volumes):
        pod = w["spec"]["template"]["spec"]
        settings = rules.settings_of(comp, self.bin_dir)
        env = {e["name"]: e for e in c.get("env") or []}
        if c.get("envFrom"):
            self.err(w, f"container {c['name']}: envFrom hides which settings are set; list env")
        for name, e in env.items():
            if name.startswith("SALESOS_") and name not in settings:
                self.err(w, f"container {c['name']}: {name} is not a setting of "
                            f"{rules.binary_of(comp)} (see its --help)")
            vf = e.get("valueFrom") or {}
            if rules.is_secret_value(name) and "secretKeyRef" not in vf:
                self.err(w, f"container {c['name']}: {name} is a secret and must come from a "
                            "secretKeyRef")
            if "secretKeyRef" in vf and self.find("Secret", vf["secretKeyRef"]["name"]):
                pass  # reported by check_no_secrets
            ref = vf.get("configMapKeyRef")
            if ref:
                cm = self.find("ConfigMap", ref["name"])
                if cm is None or ref["key"] not in (cm.get("data") or {}):
                    self.err(w, f"container {c['name']}: {name} refers to a missing ConfigMap key "
                                f"{ref['name']}/{ref['key']}")
        for group in rules.required_settings(settings):
            if not any(g in env for g in group):
                self.err(w, f"container {c['name']}: required setting {' or '.join(group)} is "
                            "not set")
        # Secret files lie on secret volumes.
        secret_dirs = set()
        for path, m in mounts.items():
            v = volumes.get(m["name"], {})
            if "secret" in v or ("projected" in v and all(
                    "secret" in s for s in v["projected"].get("sources", []))):
                secret_dirs.add(path.rstrip("/") + "/")
        for name in env:
            if rules.is_secret_file(name):
                value = self.env_value(w, c, name) or ""
                for f in filter(None, value.split(",")):
                    if not any(f.startswith(d) for d in secret_dirs):
                        self.err(w, f"container {c['name']}: {name}={f} is not on a secret volume")
        # The service secret: the same Secret key for every service.
        if "SALESOS_SERVICE_SECRET_FILE" in env:
            src = self.secret_source(pod, mounts, self.env_value(w, c, "SALESOS_SERVICE_SECRET_FILE"))
            if not hasattr(self, "service_secret"):
                self.service_secret = src
            elif src != self.service_secret:
                self.err(w, f"the service secret comes from {src}, others use {self.service_secret}")
        # Writable data dir, metrics.
        data_dir = self.env_value(w, c, "SALESOS_DATA_DIR")
        if "SALESOS_DATA_DIR" in settings:
            m = mounts.get((data_dir or "").rstrip("/"))
            if m is None or "emptyDir" not in volumes.get(m["name"], {}):
                self.err(w, f"container {c['name']}: the data dir {data_dir} is not an emptyDir")
        if ports.get("metrics") != rules.METRICS_PORT:
            self.err(w, f"container {c['name']}: no container port 'metrics' = {rules.METRICS_PORT}")
        if self.env_value(w, c, "SALESOS_METRICS_ADDR") != f"0.0.0.0:{rules.METRICS_PORT}":
            self.err(w, f"container {c['name']}: SALESOS_METRICS_ADDR is not 0.0.0.0:{rules.METRICS_PORT}")
        ann = w["spec"]["template"]["metadata"].get("annotations") or {}
        if ann.get("prometheus.io/scrape") != "true" or ann.get("prometheus.io/port") != str(rules.METRICS_PORT):
            self.err(w, "no prometheus.io/scrape and prometheus.io/port annotations")
        # Listening on every interface, on the declared port.
        listen_env = "SALESOS_HTTP_ADDR" if comp == "gateway" else "SALESOS_LISTEN"
        listen = self.env_value(w, c, listen_env) or ""
        want_port = ports.get("http" if comp == "gateway" else "grpc")
        if listen != f"0.0.0.0:{want_port}":
            self.err(w, f"container {c['name']}: {listen_env}={listen} is not 0.0.0.0:{want_port}")
        # Peers, Redis, PostgreSQL name Services that select the right pods.
        for peer in rules.SERVICES:
            if peer != comp and rules.peer_env(peer) in settings:
                self.check_target(w, c, rules.peer_env(peer), peer, "grpc")
        self.check_url(w, c, "SALESOS_REDIS_URL", "redis", "redis")
        if "SALESOS_DATABASE_URL" in settings:
            self.check_url(w, c, "SALESOS_DATABASE_URL", "postgresql", "postgres")
            if "PGPASSWORD" not in env:
                self.err(w, f"container {c['name']}: no PGPASSWORD (secretKeyRef) for the database")
        # Graceful rollout: the preStop sleep and the drain fit in the grace period.
        pre = ((c.get("lifecycle") or {}).get("preStop") or {}).get("exec", {}).get("command") or []
        sleep = int(pre[-1]) if len(pre) >= 2 and pre[-2].endswith("sleep") and pre[-1].isdigit() else None
        if sleep is None or sleep < 1:
            self.err(w, f"container {c['name']}: no preStop sleep (endpoints must go before the drain)")
            sleep = 0
        drain_ms = self.env_value(w, c, "SALESOS_DRAIN_TIMEOUT_MS")
        if drain_ms is None:
            drain_ms = settings["SALESOS_DRAIN_TIMEOUT_MS"].default
        grace = pod.get("terminationGracePeriodSeconds", 30)
        if grace <= sleep + int(drain_ms) / 1000 + 2:
            self.err(w, f"terminationGracePeriodSeconds {grace} is not above preStop {sleep} s + "
                        f"drain {int(drain_ms) / 1000} s + 2 s")

    def secret_source(self, pod, mounts, path):
        for mpath, m in mounts.items():
            if path and path.startswith(mpath.rstrip("/") + "/"):
                rel = path[len(mpath.rstrip("/")) + 1:]
                v = next((v for v in pod.get("volumes") or [] if v["name"] == m["name"]), {})
                sources = [s["secret"] for s in (v.get("projected") or {}).get("sources", [])
                           if "secret" in s] + ([v["secret"]] if "secret" in v else [])
                for s in sources:
                    for item in s.get("items") or []:
                        if item["path"] == rel:
                            return f"{s.get('name', s.get('secretName'))}/{item['key']}"
        return None

    def service_for(self, host):
        host = host.split(".")[0]
        return self.find("Service", host)

    def check_target(self, w, c, env_name, peer, port_name):
        value = self.env_value(w, c, env_name) or ""
        m = re.fullmatch(r"dns:///([a-z0-9-.]+):(\d+)", value)
        if not m:
            self.err(w, f"container {c['name']}: {env_name}={value} is not dns:///<service>:<port>")
            return
        svc = self.service_for(m.group(1))
        if svc is None:
            if self.overlay != "base":
                self.err(w, f"container {c['name']}: {env_name} names no Service {m.group(1)}")
            return
        if svc["spec"].get("clusterIP") != "None":
            self.err(svc, "a gRPC Service must be headless (clusterIP: None) for round_robin")
        port = next((p for p in svc["spec"]["ports"] if p["port"] == int(m.group(2))), None)
        if port is None or port.get("name") != port_name:
            self.err(w, f"container {c['name']}: {env_name} port {m.group(2)} is not the "
                        f"{port_name} port of {name_of(svc)}")
        selected = self.pods_selected(svc["spec"].get("selector") and {"matchLabels": svc["spec"]["selector"]})
        if not any(self.component(x) == peer for s in selected for x in s["spec"]["template"]["spec"]["containers"]):
            self.err(w, f"container {c['name']}: {env_name} names {name_of(svc)}, which does not "
                        f"select {rules.binary_of(peer)}")

    def check_url(self, w, c, env_name, scheme, target_label):
        value = self.env_value(w, c, env_name) or ""
        m = re.fullmatch(scheme + r"://(?:([^:@/]+)(:[^@/]*)?@)?([a-z0-9-.]+):(\d+)(/.*)?", value)
        if not m:
            self.err(w, f"container {c['name']}: {env_name}={value} is not a {scheme}://host:port URL")
            return
        if m.group(2):
            self.err(w, f"container {c['name']}: {env_name} holds a password")
        svc = self.service_for(m.group(3))
        if svc is None:
            if self.overlay != "base":
                self.err(w, f"container {c['name']}: {env_name} names no Service {m.group(3)}")
            return
        selected = self.pods_selected({"matchLabels": svc["spec"].get("selector") or {}})
        if not any(self.pod_labels(s).get("app.kubernetes.io/name") == target_label for s in selected):
            self.err(w, f"container {c['name']}: {env_name} names {name_of(svc)}, which does not "
                        f"select {target_label}")

    def check_service(self, s):
        sel = s["spec"].get("selector")
        pods = self.pods_selected({"matchLabels": sel}) if sel else []
        if not pods:
            self.err(s, "selects no Deployment or StatefulSet pods")
            return
        for p in s["spec"]["ports"]:
            if not p.get("name"):
                self.err(s, f"port {p['port']} has no name")
            tp = p.get("targetPort", p["port"])
            for w in pods:
                cports = [cp for c in w["spec"]["template"]["spec"]["containers"] for cp in c.get("ports") or []]
                if not any(cp.get("name") == tp or cp["containerPort"] == tp for cp in cports):
                    self.err(s, f"targetPort {tp} names no container port of {name_of(w)}")
            if p.get("name") == "grpc" and s["spec"].get("clusterIP") != "None":
                self.err(s, "a gRPC Service must be headless (clusterIP: None) for round_robin")

    # --- network policies --------------------------------------------------------------------
    def check_network_policies(self):
        policies = self.by_kind.get("NetworkPolicy", [])
        if self.overlay == "prod" and not policies:
            self.err(None, "prod has no NetworkPolicies")
        if not policies:
            return
        if not any(p["spec"].get("podSelector") == {} and set(p["spec"].get("policyTypes") or [])
                   == {"Ingress", "Egress"} and not p["spec"].get("ingress") and not p["spec"].get("egress")
                   for p in policies):
            self.err(None, "no default deny-all NetworkPolicy")
        for p in policies:
            sel = p["spec"].get("podSelector")
            if sel and not self.pods_selected(sel):
                self.err(p, f"podSelector {sel} matches no workload's pods")
            for direction, key in (("ingress", "from"), ("egress", "to")):
                for rule in p["spec"].get(direction) or []:
                    for peer in rule.get(key) or []:
                        if "podSelector" in peer and "namespaceSelector" not in peer and \
                                not self.pods_selected(peer["podSelector"]):
                            self.err(p, f"{direction} {key} podSelector {peer['podSelector']} "
                                        "matches no workload's pods")
        for w in self.workloads:
            labels = self.pod_labels(w)
            if not any(p["spec"].get("podSelector") and matches(p["spec"]["podSelector"], labels)
                       for p in policies):
                self.err(w, "no allow-list NetworkPolicy selects its pods")
        # From outside the namespace: the ingress controller to the gateway's HTTP port,
        # Prometheus to every component's metrics port.
        for comp in rules.COMPONENTS:
            w = self.workload_of_component(comp)
            if w is None:
                continue
            ports = {p.get("name"): p["containerPort"] for c in w["spec"]["template"]["spec"]["containers"]
                     for p in c.get("ports") or []}
            wanted = [("metrics", ports.get("metrics"))] + ([("http", ports.get("http"))] if comp == "gateway" else [])
            for what, port in wanted:
                if not self.from_other_namespace(policies, w, port):
                    self.err(w, f"no NetworkPolicy lets another namespace reach its {what} port {port}")
        # Every call the code makes is allowed; no other call between components is.
        calls = rules.source_calls(self.source_dir) if self.source_dir else {}
        comp_pods = {comp: self.workload_of_component(comp) for comp in rules.COMPONENTS}
        port_of = {}
        for comp, w in comp_pods.items():
            if w:
                ports = {p.get("name"): p["containerPort"] for c in w["spec"]["template"]["spec"]["containers"] for p in c.get("ports") or []}
                port_of[comp] = ports.get("grpc") or ports.get("http")
        infra = {lbl: next((w for w in self.workloads if self.pod_labels(w).get("app.kubernetes.io/name") == lbl), None)
                 for lbl in ("redis", "postgres")}
        for a in rules.COMPONENTS:
            for b in rules.SERVICES:
                if a == b or not comp_pods.get(a) or not comp_pods.get(b):
                    continue
                ok = self.allowed(policies, comp_pods[a], comp_pods[b], port_of[b])
                if b in calls.get(a, set()) and not ok:
                    self.err(None, f"{a} calls {b} but the network policies do not let it reach "
                                   f"port {port_of[b]}")
                if b not in calls.get(a, set()) and ok:
                    self.err(None, f"the network policies let {a} reach {b}, which it does not call")
            for lbl, port in (("redis", 6379), ("postgres", 5432)):
                if infra[lbl] and comp_pods.get(a):
                    needs = lbl == "redis" or a != "gateway"
                    ok = self.allowed(policies, comp_pods[a], infra[lbl], port)
                    if needs and not ok:
                        self.err(None, f"{a} cannot reach {lbl} on {port}")
                    if not needs and ok:
                        self.err(None, f"{a} may reach {lbl}, which it does not use")
            if comp_pods.get(a):
                out = self.internet_443(policies, comp_pods[a])
                if a in rules.INTERNET and not out:
                    self.err(None, f"{a} cannot reach the internet on 443")
                if a not in rules.INTERNET and out:
                    self.err(None, f"{a} may reach the internet, which it does not need")

    @staticmethod
    def port_ok(rule, port):
        ports = rule.get("ports")
        return not ports or any(p.get("port") == port for p in ports)

    def allowed(self, policies, src, dst, port):
        src_l, dst_l = self.pod_labels(src), self.pod_labels(dst)

        def side(direction, key, mine, other):
            applying = [p for p in policies if matches(p["spec"].get("podSelector") or {}, mine)
                        and direction.capitalize() in (p["spec"].get("policyTypes") or [])]
            if not applying:
                return True
            for p in applying:
                for rule in p["spec"].get(direction) or []:
                    peers = rule.get(key)
                    if not self.port_ok(rule, port):
                        continue
                    if peers is None:
                        return True
                    for peer in peers:
                        if "podSelector" in peer and "namespaceSelector" not in peer and \
                                matches(peer["podSelector"], other):
                            return True
            return False
        return side("egress", "to", src_l, dst_l) and side("ingress", "from", dst_l, src_l)

    def from_other_namespace(self, policies, dst, port):
        labels = self.pod_labels(dst)
        for p in policies:
            if not matches(p["spec"].get("podSelector") or {}, labels):
                continue
            for rule in p["spec"].get("ingress") or []:
                if self.port_ok(rule, port) and any("namespaceSelector" in f for f in rule.get("from") or []):
                    return True
        return False

    def internet_443(self, policies, src):
        labels = self.pod_labels(src)
        public = ipaddress.ip_address("8.8.8.8")
        for p in policies:
            if not matches(p["spec"].get("podSelector") or {}, labels):
                continue
            for rule in p["spec"].get("egress") or []:
                if not self.port_ok(rule, 443):
                    continue
                for peer in rule.get("to") or []:
                    block = peer.get("ipBlock")
                    if block and public in ipaddress.ip_network(block["cidr"]):
                        excepted = [ipaddress.ip_network(e) for e in block.get("except") or []]
                        if ipaddress.ip_address("10.0.0.1") in ipaddress.ip_network(block["cidr"]) and \
                                not any(ipaddress.ip_address("10.0.0.1") in e for e in excepted):
                            self.err(p, "egress to the internet also opens private 10.0.0.0/8")
                        return True
        return False

    def check_redis(self):
        for w in self.workloads:
            if self.pod_labels(w).get("app.kubernetes.io/name") != "redis":
                continue
            conf = ""
            for v in w["spec"]["template"]["spec"].get("volumes") or []:
                cm = self.find("ConfigMap", (v.get("configMap") or {}).get("name", ""))
                if cm:
                    conf += "\n".join((cm.get("data") or {}).values())
            lines = {" ".join(l.split()) for l in conf.splitlines()}
            for want in ("appendonly yes", "appendfsync everysec", "maxmemory-policy noeviction"):
                if want not in lines:
                    self.err(w, f"the Redis configuration lacks '{want}'")
            if w["kind"] != "StatefulSet" or not w["spec"].get("volumeClaimTemplates"):
                self.err(w, "Redis is not a StatefulSet with a persistent volume")

    # --- ingress, replicas, HPA, PDB ---------------------------------------------------------
    def check_ingress(self, ing):
        ann = ing["metadata"].get("annotations") or {}
        for a in ("nginx.ingress.kubernetes.io/proxy-read-timeout",
                  "nginx.ingress.kubernetes.io/proxy-send-timeout"):
            if int(ann.get(a, "0")) < 3600:
                self.err(ing, f"{a} is below 3600 s (WebSockets)")
        for rule in ing["spec"].get("rules") or []:
            for path in (rule.get("http") or {}).get("paths") or []:
                b = path["backend"]["service"]
                svc = self.find("Service", b["name"])
                if svc is None:
                    self.err(ing, f"backend Service {b['name']} does not exist")
                    continue
                pname = b["port"].get("name")
                if not any(p.get("name") == pname or p["port"] == b["port"].get("number")
                           for p in svc["spec"]["ports"]):
                    self.err(ing, f"backend port {b['port']} is not a port of {name_of(svc)}")
                pods = self.pods_selected({"matchLabels": svc["spec"].get("selector") or {}})
                if not any(self.component(c) == "gateway" for w in pods
                           for c in w["spec"]["template"]["spec"]["containers"]):
                    self.err(ing, f"backend {name_of(svc)} does not select the gateway")
        if self.overlay == "prod" and not self.by_kind.get("Ingress"):
            self.err(None, "prod has no Ingress")

    def check_scaling(self):
        hpas = self.by_kind.get("HorizontalPodAutoscaler", [])
        for h in hpas:
            ref = h["spec"]["scaleTargetRef"]
            if self.find(ref["kind"], ref["name"]) is None:
                self.err(h, f"HorizontalPodAutoscaler target {ref['kind']}/{ref['name']} does not exist")
            if not any(m.get("type") == "Resource" and m["resource"]["name"] == "cpu"
                       for m in h["spec"].get("metrics") or []):
                self.err(h, "HorizontalPodAutoscaler does not scale on CPU")
            if h["spec"].get("minReplicas", 1) < 2:
                self.err(h, "HorizontalPodAutoscaler minReplicas is below 2")
        pdbs = self.by_kind.get("PodDisruptionBudget", [])
        for p in pdbs:
            if not self.pods_selected(p["spec"].get("selector")):
                self.err(p, "PodDisruptionBudget selects no workload's pods")
            if p["spec"].get("minAvailable") != 1:
                self.err(p, "PodDisruptionBudget minAvailable is not 1")
        for d in self.by_kind.get("Deployment", []):
            replicas = d["spec"].get("replicas", 1)
            if self.overlay == "dev" and replicas != 1:
                self.err(d, f"dev runs {replicas} replicas, want 1")
            if self.overlay == "prod":
                if replicas < 2:
                    self.err(d, f"prod runs {replicas} replica(s), want 2 or more")
                if not any(h["spec"]["scaleTargetRef"]["name"] == d["metadata"]["name"] for h in hpas):
                    self.err(d, "no HorizontalPodAutoscaler")
                if not any(matches(p["spec"].get("selector"), self.pod_labels(d)) for p in pdbs):
                    self.err(d, "no PodDisruptionBudget")


def check(overlay, objects, bin_dir=None, source_dir=None):
    return Checker(overlay, objects, bin_dir, source_dir).run()


def main(argv):
    import os
    if len(argv) < 3 or len(argv) % 2 == 0:
        print(__doc__, file=sys.stderr)
        return 2
    source_dir = os.environ.get("SALESOS_SOURCE_DIR")
    errors = []
    for overlay, path in zip(argv[1::2], argv[2::2]):
        objects = load(path)
        found = check(overlay, objects, source_dir=source_dir)
        print(f"{overlay}: {len(objects)} objects, {len(found)} problem(s)")
        errors += found
    for e in errors:
        print("  " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
