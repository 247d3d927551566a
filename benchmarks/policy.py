"""``policy``: ``idp policy check`` against ``gator test`` and ``conftest test``, two ratios in one run.

``python -m benchmarks policy [-n N]`` (or ``python -m benchmarks.policy [-n N]``) builds its
inputs once, deterministically, in a temporary directory removed at exit:

* **2,000 Kubernetes objects** in 50 multi-document files — Deployments, StatefulSets,
  DaemonSets, Jobs, CronJobs, Pods, Services, Ingresses and ConfigMaps over five
  namespaces; about one workload in five breaks a policy (privileged, ``:latest``, a
  missing label, no probes, no resources), some Services are NodePorts without the
  approval annotation, some Ingresses lack TLS or share a host (the referential policy);
* **a large Terraform plan JSON**: every sample plan of ``policies/terraform/*/samples``
  as one module (its configuration under ``module_calls``, its resource changes and prior
  state under ``module.<copy>``), repeated ``PLAN_COPIES`` times with the names of each
  copy made unique — a thousand and more resource changes of the platform's AWS resources,
  allowed and denied alike (``--plan-copies``; 17 by default: 1,020 resource changes).

Then it runs, alternately (A₁ B₁ A₂ B₂, N times each, after one untimed round):

* A₁ ``idp policy check --set baseline manifests/`` against B₁ ``gator test`` over the
  very ConstraintTemplates and Constraints ``idp policy bundle --set baseline`` writes for
  a cluster (what admission would enforce), and the same manifests;
* A₂ ``idp policy check --set baseline plan.json`` against B₂ ``conftest test plan.json
  --policy policies/terraform --all-namespaces`` (the same Rego, conftest's own way).

Before timing, each pair must agree on the number of violations (the JSON reports are
compared), so the two sides are known to do the same work. The report gives each
median, both ratios and the targets: ratio < 1 against both, stretch ≤ 0.2 against
gator and ≤ 0.5 against conftest. Exit status 1 when a ratio is 1 or more.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from benchmarks import _idp

ROOT = Path(__file__).resolve().parents[1]
K8S_OBJECTS = 2_000
K8S_FILES = 50
PLAN_COPIES = 17  # x 60 resource changes = 1,020; the run time grows with the square (benchmarks/README.md)
NAMESPACES = ("shop", "payments", "search", "prod-orders", "identity")
TARGET_RATIO = 1.0
STRETCH = {"gator": 0.2, "conftest": 0.5}


def _tool(name: str) -> str:
    found = os.environ.get(f"IDP_{name.upper()}") or shutil.which(name) or str(ROOT / ".tools" / "bin" / name)
    if not Path(found).is_file():
        raise SystemExit(f"benchmarks.policy: no `{name}` (run scripts/setup)")
    return found


# ------------------------------------------------------------- Kubernetes


def _labels(app: str, index: int, *, flawed: bool) -> dict[str, str]:
    labels = {"app.kubernetes.io/name": app, "owner": f"owner-{index % 17}", "team": f"team-{index % 7}"}
    if flawed:
        del labels["team"]
    return labels


def _container(app: str, index: int, flaw: str | None) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": app,
        "image": f"ghcr.io/acme/{app}:1.{index % 9}.{index % 5}",
        "ports": [{"containerPort": 8080}],
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "resources": {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"cpu": "500m", "memory": "256Mi"},
        },
        "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}},
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}},
        "env": [{"name": "SERVICE", "value": app}, {"name": "INDEX", "value": str(index)}],
    }
    if flaw == "privileged":
        container["securityContext"]["privileged"] = True
        container["securityContext"]["allowPrivilegeEscalation"] = True
    elif flaw == "latest":
        container["image"] = f"ghcr.io/acme/{app}:latest"
    elif flaw == "probes":
        del container["readinessProbe"], container["livenessProbe"]
    elif flaw == "resources":
        del container["resources"]
    elif flaw == "registry":
        container["image"] = f"docker.io/library/{app}:1.0.{index % 5}"
    return container


def _pod_spec(app: str, index: int, flaw: str | None, *, restart: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "securityContext": {"runAsNonRoot": True, "runAsUser": 10001},
        "containers": [_container(app, index, flaw)],
    }
    if index % 3 == 0:
        sidecar = _container(f"{app}-proxy", index + 1, None)
        sidecar["name"] = "proxy"
        spec["containers"].append(sidecar)
    if restart:
        spec["restartPolicy"] = restart
    if flaw == "host":
        spec["hostNetwork"] = True
    return spec


_FLAWS = ("privileged", "latest", "labels", "probes", "resources", "registry", "host")


def kubernetes_objects(count: int = K8S_OBJECTS) -> list[dict[str, Any]]:
    """``count`` objects of mixed kinds, about one workload in five with one flaw, always the same."""
    objects: list[dict[str, Any]] = []
    for index in range(count):
        namespace = NAMESPACES[(index // 20) % len(NAMESPACES)]
        app = f"svc-{index // 20:03d}-{index % 20:02d}"
        slot = index % 20
        flaw = _FLAWS[(index // 20 + index) % len(_FLAWS)] if (index * 37) % 100 < 22 else None
        meta = {"name": app, "namespace": namespace, "labels": _labels(app, index, flawed=flaw == "labels")}
        template = {"metadata": {"labels": {"app.kubernetes.io/name": app}}}
        selector = {"matchLabels": {"app.kubernetes.io/name": app}}
        if slot < 6:
            objects.append({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta,
                            "spec": {"replicas": 1 + index % 3, "selector": selector,
                                     "template": template | {"spec": _pod_spec(app, index, flaw)}}})
        elif slot == 6:
            objects.append({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": meta,
                            "spec": {"replicas": 3, "serviceName": app, "selector": selector,
                                     "template": template | {"spec": _pod_spec(app, index, flaw)}}})
        elif slot == 7:
            objects.append({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": meta,
                            "spec": {"selector": selector,
                                     "template": template | {"spec": _pod_spec(app, index, flaw)}}})
        elif slot == 8:
            objects.append({"apiVersion": "batch/v1", "kind": "Job", "metadata": meta,
                            "spec": {"template": template | {"spec": _pod_spec(app, index, flaw,
                                                                                restart="Never")}}})
        elif slot == 9:
            job = {"template": template | {"spec": _pod_spec(app, index, flaw, restart="OnFailure")}}
            objects.append({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": meta,
                            "spec": {"schedule": f"{index % 60} 3 * * *", "jobTemplate": {"spec": job}}})
        elif slot == 10:
            objects.append({"apiVersion": "v1", "kind": "Pod", "metadata": meta,
                            "spec": _pod_spec(app, index, flaw, restart="Always")})
        elif slot < 15:
            service: dict[str, Any] = {"type": "ClusterIP", "selector": {"app.kubernetes.io/name": app},
                                       "ports": [{"port": 80, "targetPort": 8080}]}
            if index % 40 == 11:
                service["type"] = "NodePort"  # without the approval annotation: denied
            elif index % 40 == 31:
                service["type"] = "LoadBalancer"
                meta["annotations"] = {"idp.platform/exposure-approved-by": "PLAT-1234"}
            objects.append({"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": service})
        elif slot < 17:
            # every 100th Ingress takes the host of the one before it: the referential policy denies both
            owner = app if index % 100 != 16 else f"svc-{(index - 1) // 20:03d}-{(index - 1) % 20:02d}"
            host = f"{owner}.acme.example"
            rule = {"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {
                "service": {"name": app, "port": {"number": 80}}}}]}}
            spec = {"ingressClassName": "nginx", "rules": [rule]}
            if index % 60 != 16:
                spec["tls"] = [{"hosts": [host], "secretName": f"{app}-tls"}]
            objects.append({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta, "spec": spec})
        else:
            objects.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta,
                            "data": {"SERVICE": app, "LOG_LEVEL": "info", "FEATURES": "a,b,c"}})
    return objects


def write_manifests(directory: Path, objects: Sequence[dict[str, Any]], files: int = K8S_FILES) -> None:
    """``objects`` as ``files`` multi-document YAML files, ``deploy/<namespace>/<group>.yaml``."""
    per_file = -(-len(objects) // files)
    for number in range(files):
        chunk = objects[number * per_file:(number + 1) * per_file]
        if not chunk:
            break
        target = directory / chunk[0]["metadata"]["namespace"] / f"group-{number:02d}.yaml"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(yaml.safe_dump_all(chunk, sort_keys=False), encoding="utf-8")


# -------------------------------------------------------------- Terraform


_NAME_KEYS = frozenset({"bucket", "id", "name", "arn"})


def _names(value: Any, found: set[str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in _NAME_KEYS and isinstance(item, str) and item:
                found.add(item)
            _names(item, found)
    elif isinstance(value, list):
        for item in value:
            _names(item, found)


def _rename(value: Any, names: set[str], suffix: str) -> Any:
    """``value`` with every string that is one of ``names`` made unique to this copy."""
    if isinstance(value, dict):
        return {key: _rename(item, names, suffix) for key, item in value.items()}
    if isinstance(value, list):
        return [_rename(item, names, suffix) for item in value]
    if isinstance(value, str) and value in names:
        return value + suffix
    return value


def _prefixed_state(module: dict[str, Any], prefix: str) -> dict[str, Any]:
    return {
        "address": prefix.rstrip("."),
        "resources": [r | {"address": prefix + r["address"]} for r in module.get("resources") or []],
        "child_modules": [_prefixed_state(child, prefix) | {"address": prefix + child["address"]}
                          for child in module.get("child_modules") or []],
    }


def terraform_plan(copies: int = PLAN_COPIES) -> dict[str, Any]:
    """Every sample plan of the library as a module, ``copies`` times, in ``tofu show -json`` shape."""
    samples = [json.loads(path.read_text(encoding="utf-8"))
               for path in sorted((ROOT / "policies" / "terraform").glob("*/samples/*/plan.json"))]
    provider_config: dict[str, Any] = {}
    for sample in samples:
        for key, provider in (sample.get("configuration") or {}).get("provider_config", {}).items():
            provider_config.setdefault(key, provider)
    changes: list[dict[str, Any]] = []
    module_calls: dict[str, Any] = {}
    state_modules: list[dict[str, Any]] = []
    for copy in range(copies):
        for number, sample in enumerate(samples):
            module = f"copy_{copy:03d}_{number:02d}"
            prefix = f"module.{module}."
            names: set[str] = set()
            _names(sample.get("resource_changes"), names)
            _names(sample.get("prior_state"), names)
            renamed = _rename(sample, names, f"-{copy:03d}-{number:02d}")
            for change in renamed.get("resource_changes") or []:
                inner = change.get("module_address")
                changes.append(change | {"address": prefix + change["address"],
                                         "module_address": prefix + inner if inner else prefix.rstrip(".")})
            module_calls[module] = {"source": f"./modules/sample-{number:02d}",
                                    "module": (renamed.get("configuration") or {}).get("root_module") or {}}
            prior = ((renamed.get("prior_state") or {}).get("values") or {}).get("root_module")
            if prior:
                state_modules.append(_prefixed_state(prior, prefix))
    return {
        "format_version": "1.2",
        "terraform_version": "1.11.1",
        "planned_values": {"root_module": {}},
        "resource_changes": changes,
        "prior_state": {"format_version": "1.0", "values": {"root_module": {"resources": [],
                                                                           "child_modules": state_modules}}},
        "configuration": {"provider_config": provider_config, "root_module": {"module_calls": module_calls}},
        "timestamp": "2026-01-01T00:00:00Z",
        "errored": False,
    }


# ------------------------------------------------------------------ setup


@dataclass(frozen=True)
class Pair:
    """One comparison: A (ours) and B (the peer), run in ``cwd``, each allowed to exit 0 or 1."""

    peer: str
    label_a: str
    command_a: tuple[str, ...]
    label_b: str
    command_b: tuple[str, ...]
    cwd: Path


@dataclass(frozen=True)
class Setup:
    directory: Path
    objects: int
    files: int
    resource_changes: int
    plan_mb: float
    pairs: tuple[Pair, Pair]


def prepare(directory: Path, *, plan_copies: int = PLAN_COPIES) -> Setup:
    """Write the inputs, bundle the baseline set for gator, and build the four commands."""
    idp = _idp()
    objects = kubernetes_objects()
    write_manifests(directory / "manifests", objects)
    plan = terraform_plan(plan_copies)
    plan_path = directory / "plan.json"
    plan_path.write_text(json.dumps(plan, indent=2), encoding="utf-8")
    bundle = directory / "bundle"
    subprocess.run([idp, "policy", "bundle", "--set", "baseline", "--output", str(bundle)], cwd=directory,
                   check=True, capture_output=True)
    # what gator reads: the bundle's templates and constraints (not its kustomization.yaml, an object to gator)
    gatekeeper = directory / "gatekeeper"
    for part in ("templates", "constraints"):
        shutil.copytree(bundle / part, gatekeeper / part)
    check = (idp, "policy", "check", "--set", "baseline")
    return Setup(
        directory=directory,
        objects=len(objects),
        files=len(list((directory / "manifests").rglob("*.yaml"))),
        resource_changes=len(plan["resource_changes"]),
        plan_mb=plan_path.stat().st_size / 1e6,
        pairs=(
            Pair("gator", "idp policy check manifests/", (*check, "manifests"),
                 "gator test", (_tool("gator"), "test", "-f", "gatekeeper", "-f", "manifests"), directory),
            Pair("conftest", "idp policy check plan.json", (*check, "plan.json"),
                 "conftest test", (_tool("conftest"), "test", "plan.json", "--policy",
                                   str(ROOT / "policies" / "terraform"), "--all-namespaces", "--no-color"),
                 directory),
        ),
    )


def _json_of(command: Sequence[str], cwd: Path) -> Any:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1):
        raise SystemExit(f"benchmarks.policy: {' '.join(command)} exited {done.returncode}:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout)


def agreement(setup: Setup) -> list[str]:
    """Both sides of each pair find the same number of violations (else the timing compares different work)."""
    lines = []
    for pair in setup.pairs:
        ours = _json_of((*pair.command_a, "--format", "json"), pair.cwd)
        found = len(ours["violations"])
        if pair.peer == "gator":
            theirs = _json_of((*pair.command_b, "--output", "json"), pair.cwd)
            peer = len(theirs or [])
        else:
            theirs = _json_of((*pair.command_b, "--output", "json"), pair.cwd)
            peer = sum(len(r.get("failures") or []) + len(r.get("warnings") or []) for r in theirs)
        if found != peer:
            raise SystemExit(f"benchmarks.policy: idp found {found} violations and {pair.peer} {peer}: "
                             "they do not check the same thing, timing them would mean nothing")
        lines.append(f"  agree: {pair.peer} and idp both find {found} violations")
    return lines


# ----------------------------------------------------------------- timing


def _time(command: Sequence[str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    elapsed = (time.perf_counter() - start) * 1000
    if done.returncode not in (0, 1):  # 1 is a verdict (violations found), anything else a failure
        raise SystemExit(f"benchmarks.policy: {' '.join(command)} exited {done.returncode}")
    return elapsed


def measure(setup: Setup, runs: int) -> dict[str, tuple[list[float], list[float]]]:
    """A₁ B₁ A₂ B₂ … ``runs`` times after one untimed round: samples in ms per peer."""
    for pair in setup.pairs:
        _time(pair.command_a, pair.cwd)
        _time(pair.command_b, pair.cwd)
    samples: dict[str, tuple[list[float], list[float]]] = {pair.peer: ([], []) for pair in setup.pairs}
    for _ in range(runs):
        for pair in setup.pairs:
            samples[pair.peer][0].append(_time(pair.command_a, pair.cwd))
            samples[pair.peer][1].append(_time(pair.command_b, pair.cwd))
    return samples


def report(setup: Setup, samples: dict[str, tuple[list[float], list[float]]], runs: int) -> tuple[str, bool]:
    """The report and whether every ratio is below 1."""
    lines = [
        "policy: `idp policy check` against `gator test` (Kubernetes) and `conftest test` (Terraform)",
        f"  inputs: {setup.objects:,} Kubernetes objects in {setup.files} files; a plan of "
        f"{setup.resource_changes:,} resource changes ({setup.plan_mb:.1f} MB)",
        f"  {runs} alternating runs of each (A1 B1 A2 B2 ...)",
    ]
    met = True
    width = max(len(label) for pair in setup.pairs for label in (pair.label_a, pair.label_b))
    for pair in setup.pairs:
        a, b = samples[pair.peer]
        ratio = statistics.median(a) / statistics.median(b)
        stretch = STRETCH[pair.peer]
        for tag, label, values in (("A", pair.label_a, a), ("B", pair.label_b, b)):
            lines.append(f"  {tag} {label.ljust(width)}  median {statistics.median(values):8.1f} ms  "
                         f"(min {min(values):.1f}, max {max(values):.1f})")
        lines.append(f"  {'A/B'.ljust(width + 2)}  ratio   {ratio:6.2f}   target < {TARGET_RATIO:g}: "
                     f"{'PASS' if ratio < TARGET_RATIO else 'FAIL'}; stretch <= {stretch:g}: "
                     f"{'met' if ratio <= stretch else 'not met'}")
        met = met and ratio < TARGET_RATIO
    return "\n".join(lines), met


def run(runs: int, *, keep: Path | None = None, plan_copies: int = PLAN_COPIES) -> int:
    directory = keep or Path(tempfile.mkdtemp(prefix="idp-bench-policy-"))
    if keep is None:
        atexit.register(shutil.rmtree, directory, ignore_errors=True)
    directory.mkdir(parents=True, exist_ok=True)
    setup = prepare(directory, plan_copies=plan_copies)
    checks = agreement(setup)
    samples = measure(setup, runs)
    text, met = report(setup, samples, runs)
    print("\n".join([text.splitlines()[0], *checks, *text.splitlines()[1:]]))
    return 0 if met else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.policy", description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=3, help="alternating runs of each command (default 3)")
    parser.add_argument("--plan-copies", type=int, default=PLAN_COPIES, metavar="K",
                        help=f"copies of the sample plans in the generated plan, 60 resource changes each "
                        f"(default {PLAN_COPIES})")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="build the inputs in DIR and keep them")
    args = parser.parse_args(argv)
    if args.n < 1 or args.plan_copies < 1:
        parser.error("-n and --plan-copies must be at least 1")
    return run(args.n, keep=args.keep, plan_copies=args.plan_copies)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
