#!/usr/bin/python3
"""Checks deploy/docker/Dockerfile without a Docker engine:
- the build stage (debian:12) installs only packages of ./salesos's PACKAGES, and every library
  the native build links (the link commands of the seven binaries) comes from a package those
  install (their dependency closure, read from dpkg);
- the runtime stage (debian:12-slim) installs no compiler or -dev package, and every shared
  library `ldd` lists for the seven natively built binaries comes from its packages' closure;
- CMake + Ninja with the tests off, a non-root user 10001, the seven binaries in /usr/local/bin,
  nothing secret baked in, build trees and local data kept out of the context (.dockerignore);
- the build stage's own cmake command configures this checkout (into a scratch directory) and
  its build graph has the seven binaries and the proto library the stage strips and copies.
Usage: check_image.py (SALESOS_SOURCE_DIR and SALESOS_BIN_DIR in the environment)."""
import fnmatch
import os
import re
import shlex
import subprocess
import sys
import tempfile

import deploy_rules as rules

# In ./salesos deps for the tests, benchmarks or developers, not for building the binaries.
NOT_FOR_THE_BUILD = {"catch2", "redis-server", "postgresql", "wrk", "ccache", "git", "curl", "tzdata",
                     "python3", "python3-yaml", "sqlite3"}
TOOLCHAIN = re.compile(r"(-dev$|^gcc(-\d+)?$|^g\+\+(-\d+)?$|^cpp(-\d+)?$|^clang|^build-essential$|^cmake$"
                       r"|^ninja-build$|^make$|^binutils)")
ARCH_LIBDIR = "/usr/lib/x86_64-linux-gnu"


def stages(text):
    text = text.replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = re.match(r"FROM\s+(\S+)(?:\s+AS\s+(\S+))?", line, re.I)
        if m:
            out.append({"image": m.group(1), "name": m.group(2), "lines": []})
        elif out:
            out[-1]["lines"].append(line)
    return out


def apt_packages(stage):
    pkgs = []
    for line in stage["lines"]:
        for cmd in re.findall(r"apt-get install([^&;]*)", line):
            pkgs += [t for t in cmd.split() if not t.startswith("-")]
    return pkgs


def installed_packages():
    """{package: (set of dependency alternatives lists, provides)} from the dpkg database."""
    out = subprocess.run(["dpkg-query", "-W", "-f", "${Package}\t${Status}\t${Pre-Depends}, ${Depends}\t${Provides}\n"],
                         capture_output=True, text=True, check=True).stdout
    db, provides = {}, {}
    for line in out.splitlines():
        name, status, deps, prov = (line.split("\t") + ["", "", ""])[:4]
        if "install ok installed" not in status:
            continue
        alts = []
        for d in deps.split(","):
            choice = [re.sub(r"[\s(:].*", "", a.strip()) for a in d.split("|") if a.strip()]
            if choice:
                alts.append(choice)
        db[name] = alts
        for p in prov.split(","):
            p = re.sub(r"[\s(].*", "", p.strip())
            if p:
                provides.setdefault(p, []).append(name)
    return db, provides


def closure(roots, packages):
    db, provides = packages
    seen, todo, missing = set(), list(roots), []
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        if p not in db:
            if p in provides:
                todo += provides[p]
                seen.add(p)
                continue
            missing.append(p)
            continue
        seen.add(p)
        for alts in db[p]:
            chosen = next((a for a in alts if a in db or a in provides), None)
            if chosen:
                todo.append(chosen)
    return seen, missing


def _candidates(path):
    """The names dpkg may know a file by (usrmerge: /lib and /usr/lib are the same)."""
    out = [path, os.path.realpath(path)]
    for c in list(out):
        if c.startswith("/usr/lib/"):
            out.append(c[len("/usr"):])
        elif c.startswith("/lib"):
            out.append("/usr" + c)
    return out


def packages_of(paths):
    """{path: owning package or None}, with one dpkg -S for all of them."""
    paths = sorted(set(paths))
    names = sorted({c for p in paths for c in _candidates(p)})
    r = subprocess.run(["dpkg", "-S"] + names, capture_output=True, text=True)
    owner = {}
    for line in r.stdout.splitlines():
        pkgs, _, f = line.partition(": ")
        if f and "," not in pkgs and "diversion" not in line:
            owner[f.strip()] = pkgs.split(":")[0].strip()
    return {p: next((owner[c] for c in _candidates(p) if c in owner), None) for p in paths}


def link_inputs(build_dir, binary):
    out = subprocess.run(["ninja", "-C", build_dir, "-t", "commands", "bin/" + binary],
                         capture_output=True, text=True, check=True).stdout
    link = [l for l in out.splitlines() if f"-o bin/{binary} " in l]
    if not link:
        raise RuntimeError(f"no link command for {binary} in {build_dir}")
    files = set()
    for tok in link[-1].split():
        if tok.startswith("/usr/") and re.search(r"\.(so|a)(\.[\d.]+)?$", tok):
            files.add(tok)
        elif tok.startswith("-l"):
            for ext in (".so", ".a"):
                cand = f"{ARCH_LIBDIR}/lib{tok[2:]}{ext}"
                if os.path.exists(cand):
                    files.add(cand)
                    break
    return files


def ldd(path):
    out = subprocess.run(["ldd", path], capture_output=True, text=True, check=True).stdout
    libs = set()
    for line in out.splitlines():
        m = re.search(r"=>\s+(/\S+)", line)
        if m:
            libs.add(m.group(1))
        elif "not found" in line:
            raise RuntimeError(f"{path}: {line.strip()}")
    return libs


def configure_as_the_image(build_lines, source_dir, binaries):
    """Runs the build stage's cmake configure on this checkout; what is wrong, as messages."""
    m = re.search(r"cmake -S \S+ -B \S+((?: -[DG]\s*\S+)+)", build_lines)
    if not m:
        return ["the build stage has no `cmake -S <src> -B <build> ...` configure to check"]
    with tempfile.TemporaryDirectory() as out:
        cmd = ["cmake", "-S", source_dir, "-B", out] + shlex.split(m.group(1))
        run = subprocess.run(cmd, capture_output=True, text=True)
        if run.returncode != 0:
            tail = (run.stdout + run.stderr).strip().splitlines()[-15:]
            return ["the build stage's configure fails here: " + " ".join(cmd) + "\n    " +
                    "\n    ".join(tail)]
        targets = subprocess.run(["ninja", "-C", out, "-t", "targets", "all"], capture_output=True,
                                 text=True, check=True).stdout
    names = {os.path.basename(line.split(":")[0]) for line in targets.splitlines()}
    return [f"the build stage's configure makes no {want}"
            for want in binaries + ["libsalesos_proto.so"] if want not in names]


def check(text, source_dir, packages, static_only=False):
    errors = []
    st = stages(text)
    if len(st) < 2:
        return ["the Dockerfile has fewer than two stages"]
    build, runtime = st[0], st[-1]
    if build["image"] != "debian:12":
        errors.append(f"the build stage is FROM {build['image']}, want debian:12")
    if runtime["image"] != "debian:12-slim":
        errors.append(f"the runtime stage is FROM {runtime['image']}, want debian:12-slim")
    allowed = rules.salesos_packages(source_dir)
    build_pkgs, run_pkgs = apt_packages(build), apt_packages(runtime)
    for p in build_pkgs:
        if p not in allowed:
            errors.append(f"build package {p} is not in ./salesos PACKAGES")
    for p in sorted(allowed - set(build_pkgs) - NOT_FOR_THE_BUILD):
        errors.append(f"the build stage does not install {p} (./salesos PACKAGES)")
    build_lines = " ".join(build["lines"])
    with open(os.path.join(source_dir, "CMakeLists.txt"), encoding="utf-8") as fh:
        has_option = "option(SALESOS_BUILD_TESTS" in fh.read()
    if "-G Ninja" not in build_lines or (has_option and "-DSALESOS_BUILD_TESTS=OFF" not in build_lines):
        errors.append("the build stage does not configure with -G Ninja -DSALESOS_BUILD_TESTS=OFF")
    binaries = [rules.binary_of(c) for c in rules.COMPONENTS]
    for b in binaries:
        if b not in build_lines:
            errors.append(f"the build stage does not produce {b}")
    run_lines = runtime["lines"]
    if not any(re.match(r"COPY --from=\S+ \S+ /usr/local/bin/?$", l) for l in run_lines):
        errors.append("the runtime stage does not copy the binaries to /usr/local/bin")
    users = [l.split()[1] for l in run_lines if l.startswith("USER ")]
    if not users or users[-1].split(":")[0] != str(rules.RUNTIME_UID):
        errors.append(f"the runtime stage's last USER is {users[-1:] or 'root'}, want {rules.RUNTIME_UID}")
    if not re.search(r"useradd [^&]*--uid %d" % rules.RUNTIME_UID, " ".join(run_lines)):
        errors.append(f"the runtime stage creates no user with uid {rules.RUNTIME_UID}")
    for l in run_lines:
        m = re.match(r"(ENV|ARG)\s+([A-Za-z_][A-Za-z0-9_]*)", l)
        if m and rules.is_secret_value(m.group(2).upper()):
            errors.append(f"the image sets {m.group(2)}: secrets are mounted at run time")
        if l.startswith(("COPY", "ADD")) and re.search(r"\.pem|\.key|secret", l, re.I):
            errors.append(f"the image copies a secret: {l}")
    run_closure, missing = closure(run_pkgs, packages)
    for p in run_pkgs:
        if p in missing:
            errors.append(f"runtime package {p} is not a known (installed) Debian package here")
    for p in sorted(run_closure):
        if TOOLCHAIN.search(p):
            errors.append(f"the runtime stage installs {p} (no compilers or -dev packages)")
    try:
        with open(os.path.join(source_dir, ".dockerignore"), encoding="utf-8") as fh:
            ignore = [l.strip().rstrip("/") for l in fh if l.strip() and not l.startswith("#")]
    except FileNotFoundError:
        ignore = []
    for path in ("build", "build-deploy", ".salesos", "deploy/secrets"):
        if not any(fnmatch.fnmatch(path, pat) for pat in ignore):
            errors.append(f".dockerignore does not exclude {path}")
    if static_only:
        return errors

    errors += configure_as_the_image(build_lines, source_dir, binaries)
    bin_dir = os.environ["SALESOS_BIN_DIR"]
    build_dir = os.path.dirname(os.path.abspath(bin_dir))
    build_closure, _ = closure(build_pkgs, packages)
    linked = {b: link_inputs(build_dir, b) for b in binaries}
    loaded = {b: ldd(os.path.join(bin_dir, b)) for b in binaries}
    owner = packages_of(set().union(*linked.values(), *loaded.values()))
    for b in binaries:
        for f in sorted(linked[b]):
            pkg = owner[f]
            if pkg is None:
                errors.append(f"{b} links {f}, which no Debian package owns")
            elif pkg not in build_closure:
                errors.append(f"{b} links {f} from {pkg}, which the build stage does not install")
        for lib in sorted(loaded[b]):
            pkg = owner[lib]
            if lib.startswith(build_dir + "/"):
                # A library of the project (libsalesos_proto.so): built, then shipped beside the
                # binaries in a directory the loader searches.
                name = os.path.basename(lib)
                if name not in build_lines:
                    errors.append(f"{b} loads {name}, which the build stage does not keep")
                if not any(re.match(r"COPY --from=\S+ \S+ /usr/local/lib/?$", l) for l in run_lines) \
                        or not any("ldconfig" in l for l in run_lines if l.startswith("RUN")):
                    errors.append(f"{b} loads {name}: the runtime stage must copy it to "
                                  "/usr/local/lib and run ldconfig")
            elif pkg is None:
                errors.append(f"{b} loads {lib}, which no Debian package owns")
            elif pkg not in run_closure:
                errors.append(f"{b} loads {os.path.basename(lib)} from {pkg}, which the runtime "
                              "stage does not install")
    return sorted(set(errors))


def main():
    source = os.environ["SALESOS_SOURCE_DIR"]
    with open(os.path.join(source, "deploy", "docker", "Dockerfile"), encoding="utf-8") as fh:
        text = fh.read()
    errors = check(text, source, installed_packages())
    for e in errors:
        print("  " + e)
    print(f"deploy/docker/Dockerfile: {len(errors)} problem(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
