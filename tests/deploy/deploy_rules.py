"""What the deployment checks know about SalesOS, read from the binaries and the sources.

- Settings: `<binary> --help` prints every setting as "  --name  SALESOS_NAME  [default]" and a
  description line; the checks accept only those names and derive which must be set in a
  container (see required_settings).
- Calls between services: read from the sources (ctx.peer("x"), the auth channel every service
  but auth uses, auth's loop over every peer), so the network policies can be held to them.
"""
import os
import re
import subprocess

SERVICES = ["auth", "campaign", "conversation", "webhook_ingest", "ai_orchestration", "analytics"]
COMPONENTS = SERVICES + ["gateway"]
# The services that call out to the internet on 443: the Meta Graph API, LLM endpoints,
# outgoing webhook deliveries.
INTERNET = {"conversation", "ai_orchestration", "webhook_ingest"}
METRICS_PORT = 9464
RUNTIME_UID = 10001


def dashed(component):
    return component.replace("_", "-")


def binary_of(component):
    return "salesos-" + dashed(component)


def component_of_binary(binary):
    """salesos-webhook-ingest -> webhook_ingest; None for anything else."""
    name = os.path.basename(binary)
    if not name.startswith("salesos-"):
        return None
    comp = name[len("salesos-"):].replace("-", "_")
    return comp if comp in COMPONENTS else None


def peer_env(component):
    return "SALESOS_" + component.upper() + "_ADDR"


class Setting:
    def __init__(self, flag, env, default, help_text):
        self.flag, self.env, self.default, self.help = flag, env, default, help_text

    def __repr__(self):
        return f"{self.env}[{self.default}]"


_HELP_LINE = re.compile(r"^  --([a-z0-9-]+)  (SALESOS_[A-Z0-9_]+)  \[(.*)\]$")


def parse_help(text):
    """{env name: Setting} from a binary's --help output."""
    settings = {}
    last = None
    for line in text.splitlines():
        m = _HELP_LINE.match(line)
        if m:
            last = Setting(m.group(1), m.group(2), m.group(3), "")
            settings[last.env] = last
        elif last is not None and line.startswith("      "):
            last.help += " " + line.strip()
    return settings


_help_cache = {}


def settings_of(component, bin_dir=None):
    bin_dir = bin_dir or os.environ.get("SALESOS_BIN_DIR", "")
    path = os.path.join(bin_dir, binary_of(component))
    if path not in _help_cache:
        if not os.access(path, os.X_OK):
            raise RuntimeError(f"{path} is missing: build the binaries first (SALESOS_BIN_DIR)")
        out = subprocess.run([path, "--help"], capture_output=True, text=True, timeout=30)
        settings = parse_help(out.stdout + out.stderr)
        if len(settings) < 5:
            raise RuntimeError(f"{path} --help printed no settings:\n{out.stdout}{out.stderr}")
        _help_cache[path] = settings
    return _help_cache[path]


def required_settings(settings):
    """Groups of env names of which one must be set when the binary runs in a container next to
    its peers (each group is satisfied by any one member):
    - a default naming the loopback address (listen addresses, peers, Redis) is wrong in a pod;
    - a relative default (./.salesos) must point at the writable data volume;
    - 'SQLite file' as the empty default: containers share PostgreSQL, not a disk;
    - 'generated' when empty: every replica would generate its own key or secret; a setting whose
      help says it 'wins over the file' satisfies the file setting of the same name;
    - 'refused' when empty: the feature refuses every request without it (or its _FILE form);
    - the metrics address: every component exposes /metrics on 9464."""
    groups = []
    for env, s in settings.items():
        text = s.help
        need = ("127.0.0.1" in s.default or "localhost" in s.default or s.default.startswith("./")
                or (s.default == "" and ("SQLite file" in text or "generated" in text
                                         or "refused" in text))
                or env == "SALESOS_METRICS_ADDR")
        if not need:
            continue
        group = [env]
        # A secret setting is also taken from the file its _FILE setting names.
        file_form = settings.get(env + "_FILE")
        if file_form is not None and "read from this file instead" in file_form.help:
            group.append(env + "_FILE")
        if env.endswith("_FILE"):
            plain = env[: -len("_FILE")]
            if plain in settings and "wins over the file" in settings[plain].help:
                group.append(plain)
        groups.append(group)
    return groups


_SECRET_NAME = re.compile(r"(SECRET|TOKEN|_KEY|PASSWORD)$")
_SECRET_FILE_NAME = re.compile(r"(SECRET|TOKEN|_KEY|_KEYS)_FILES?$")


def is_secret_value(env):
    """A setting whose value is itself a secret (must come from a Secret, never a literal)."""
    return bool(_SECRET_NAME.search(env)) or env == "PGPASSWORD"


def is_secret_file(env):
    """A setting naming files that hold secrets (must lie on a secret mount)."""
    return bool(_SECRET_FILE_NAME.search(env))


def source_calls(source_dir):
    """{component: set of services it calls}, read from the sources."""
    calls = {}
    for svc in SERVICES:
        text = ""
        folder = os.path.join(source_dir, "services", svc)
        for root, _, files in os.walk(folder):
            for f in files:
                if f.endswith((".cpp", ".h")):
                    with open(os.path.join(root, f), encoding="utf-8") as fh:
                        text += fh.read()
        called = set(re.findall(r'peer\("([a-z_]+)"\)', text))
        if svc != "auth":
            called.add("auth")  # tokens and JWKS through the auth channel (libs/rpc service_main)
        elif re.search(r"for \(const auto& \[name, channel\] : ctx\.peers\)", text):
            called |= set(SERVICES) - {"auth"}  # data admin and health over every peer
        unknown = called - set(SERVICES)
        if unknown:
            raise RuntimeError(f"{svc} calls unknown services {sorted(unknown)}")
        calls[svc] = called - {svc}
    with open(os.path.join(source_dir, "gateway", "main.cpp"), encoding="utf-8") as fh:
        gw = fh.read()
    if not re.search(r"for \(const auto& s : rpc::kServices\).{0,600}?upstreams\.Add\(", gw, re.S):
        raise RuntimeError("gateway/main.cpp no longer adds every service as an upstream: update "
                           "tests/deploy/deploy_rules.py")
    calls["gateway"] = set(SERVICES)
    return calls


def salesos_packages(source_dir):
    """The PACKAGES array of ./salesos."""
    with open(os.path.join(source_dir, "salesos"), encoding="utf-8") as fh:
        text = fh.read()
    m = re.search(r"^PACKAGES=\((.*?)^\)", text, re.S | re.M)
    if not m:
        raise RuntimeError("no PACKAGES=( ... ) array in ./salesos")
    body = re.sub(r"#.*", "", m.group(1))
    return set(body.split())
