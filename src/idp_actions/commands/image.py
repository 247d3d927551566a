"""``idp image build`` and ``idp image name``: a container image without Docker, pushed by digest.

``idp image build`` builds a single-stage Dockerfile the way ko and jib do — files
copied in, configuration set, nothing run — into a reproducible OCI image, and
pushes it (``--push``) or writes an OCI archive (``--oci-archive``). Dockerfiles
with ``RUN`` need a container runtime: build those with docker/build-push-action.
Every option falls back to the action input of the same meaning:

=================  ===============  ===================================================
option             action input     meaning
=================  ===============  ===================================================
``--context``      ``context``      build context (default ``.``)
``--file``         ``file``         Dockerfile (default ``Dockerfile`` in the context)
``--image``        ``image``        repository to push to, ``127.0.0.1:5000/acme/api``
``--tag``          ``tags``         tags (input: one per line or comma-separated)
``--build-arg``    ``build-args``   ``NAME=VALUE`` for an ``ARG`` of the Dockerfile
``--label``        ``labels``       ``NAME=VALUE`` labels added to the image
``--push``         ``push``         push to the registry (default: no; the action: yes)
``--oci-archive``  ``oci-archive``  also write an OCI image layout tarball
``--platform``     ``platform``     ``os/arch`` of the base to use (default linux/amd64)
=================  ===============  ===================================================

Default tag: the commit being built, in full (``GITHUB_SHA``, else ``git rev-parse
HEAD`` in the context) — unambiguous, and the same SHA promotion records; with no
commit the image is pushed by digest alone. In Actions the OCI labels
``org.opencontainers.image.source``, ``.revision`` and ``.created`` (the commit's
time) are added; ``--label`` overrides them. Timestamps inside the image are
``SOURCE_DATE_EPOCH`` (0 when unset), so a rebuild gives the same digest.
Credentials for the target registry: ``IDP_REGISTRY_USERNAME`` and
``IDP_REGISTRY_PASSWORD`` (never sent to another registry).

Outputs: ``digest`` (``sha256:…``), ``image`` (``REPOSITORY@sha256:…``), ``tags``
(``REPOSITORY:TAG``, one per line) and ``oci-archive``.

``idp image name [--service NAME]`` prints the repository ``gitops.image`` of
``.github/idp.yaml`` names for a service (``{service}`` replaced; the service
defaults to the repository's name) and sets the output ``image``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from idp_actions import gha
from idp_actions.errors import UsageError

#: Image builders service CI chooses between (the output `builder` of ``idp image name``).
BUILDERS = ("auto", "docker", "daemonless")


def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``idp image build|name``."""
    actions = parser.add_subparsers(dest="action", metavar="ACTION", parser_class=type(parser))
    build = actions.add_parser(
        "build",
        help="build a single-stage Dockerfile into an OCI image without Docker, and push it by digest",
        description="Build a Dockerfile without a container runtime (COPY/ADD of local files, ENV, WORKDIR, "
        "USER, EXPOSE, LABEL, ENTRYPOINT, CMD …; no RUN) into a reproducible OCI image, and push it.",
    )
    build.add_argument("--context", type=Path, metavar="DIR", help="build context (default: .)")
    build.add_argument("--file", type=Path, metavar="DOCKERFILE",
                       help="the Dockerfile (default: Dockerfile in the context)")
    build.add_argument("--image", metavar="REPOSITORY",
                       help="where the image goes, like 127.0.0.1:5000/acme/payments-api (a :TAG adds a tag)")
    build.add_argument("--tag", action="append", default=[], metavar="TAG",
                       help="tag to push (repeatable; default: the full commit SHA)")
    build.add_argument("--build-arg", action="append", default=[], metavar="NAME=VALUE",
                       help="value for an ARG (repeatable)")
    build.add_argument("--label", action="append", default=[], metavar="NAME=VALUE",
                       help="label to add to the image (repeatable)")
    push = build.add_mutually_exclusive_group()
    push.add_argument("--push", dest="push", action="store_const", const=True, default=None,
                      help="push the image and its tags to the registry")
    push.add_argument("--no-push", dest="push", action="store_const", const=False,
                      help="only build (overrides the input `push`)")
    build.add_argument("--oci-archive", type=Path, metavar="FILE",
                       help="also write the image as an OCI image layout tarball (`idp scan --image FILE` reads it)")
    build.add_argument("--platform", metavar="OS/ARCH", help="platform to pick from the base (default: linux/amd64)")

    name = actions.add_parser(
        "name",
        help="print the image repository .github/idp.yaml names for a service (gitops.image)",
        description="Print `gitops.image` of .github/idp.yaml with {service} replaced, and set the output `image`.",
    )
    name.add_argument("--image", metavar="REPOSITORY",
                      help="the repository to use instead of gitops.image (checked, printed and set as outputs)")
    name.add_argument("--service", help="the service (default: the repository's name, else the directory's)")
    name.add_argument("--config", type=Path, metavar="FILE", help="idp configuration (default: .github/idp.yaml)")
    name.add_argument("--builder", choices=BUILDERS,
                      help="which builder service CI should use; auto (default): docker, but daemonless under act")


def run(args: argparse.Namespace) -> int:
    """Run ``idp image <action>``."""
    if args.action == "build":
        return _build(args)
    if args.action == "name":
        return _name(args)
    raise UsageError("idp image needs an action: build or name", hint="run `idp image --help` for usage")


# ------------------------------------------------------------------ build


def _build(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> int:
    from idp_actions.image import report
    from idp_actions.image.auth import Credentials
    from idp_actions.image.build import build_and_push
    from idp_actions.image.reference import parse_repository
    from idp_actions.image.registry import Clients

    env = os.environ if environ is None else environ
    image = args.image or gha.get_input("image")
    if not image:
        raise UsageError("--image is required (action input `image`)",
                         hint="name the repository to push to, like 127.0.0.1:5000/acme/payments-api; "
                         "`idp image name` prints the one .github/idp.yaml configures")
    target = parse_repository(image, what="--image")
    context = Path(args.context or gha.get_input("context") or ".")
    raw_file = args.file or (Path(gha.get_input("file")) if gha.get_input("file") else None)
    tags = _tags(args, env, context)
    build_args = _pairs(args.build_arg or gha.get_multiline_input("build-args"), "build argument", "--build-arg")
    labels = {**_github_labels(env, context), **_pairs(args.label or gha.get_multiline_input("labels"), "label",
                                                       "--label")}
    push = args.push if args.push is not None else gha.get_bool_input("push", default=False)
    archive = args.oci_archive or (Path(gha.get_input("oci-archive")) if gha.get_input("oci-archive") else None)
    credentials = Credentials.from_environ(env)
    if credentials is not None:
        gha.mask(credentials.password)
    clients = Clients(credentials=credentials, credential_host=target.api_host)
    with gha.group(f"idp image build {target.name}"):
        result = build_and_push(
            context=context,
            dockerfile=raw_file,
            image=str(target),
            tags=tags,
            build_args=build_args,
            labels=labels,
            push=push,
            oci_archive=archive,
            platform=args.platform or gha.get_input("platform") or None,
            epoch=_epoch(env),
            clients=clients,
            progress=lambda line: print(f"  {line}", file=sys.stderr),
        )
    all_tags = [*([target.tag] if target.tag else []), *tags]
    references = [f"{result.repository}:{tag}" for tag in all_tags]
    sys.stdout.write(report.text(result, references))
    gha.set_output("digest", result.digest)
    gha.set_output("image", result.pinned)
    gha.set_output("tags", "\n".join(references))
    gha.set_output("oci-archive", str(result.archive or ""))
    gha.write_summary(report.markdown(result, references))
    for note in result.image.notes:
        gha.warning(note)
    return 0


def _tags(args: argparse.Namespace, env: Mapping[str, str], context: Path) -> list[str]:
    raw: Sequence[str] = args.tag or [t for line in gha.get_multiline_input("tags") for t in line.split(",")]
    tags = [t.strip() for t in raw if t.strip()]
    if tags:
        return list(dict.fromkeys(tags))
    commit = _commit(env, context)
    return [commit] if commit else []


def _commit(env: Mapping[str, str], context: Path) -> str | None:
    """The commit being built: ``GITHUB_SHA``, else the context's ``HEAD``."""
    if env.get("GITHUB_SHA"):
        return env["GITHUB_SHA"].strip()
    from idp_actions import proc
    from idp_actions.errors import ToolError

    try:
        done = proc.run(["git", "rev-parse", "HEAD"], cwd=context if context.is_dir() else None, check=False)
    except ToolError:
        return None
    sha = done.stdout.strip()
    return sha if done.returncode == 0 and len(sha) in (40, 64) else None


def _commit_time(context: Path, sha: str) -> int | None:
    from idp_actions import proc
    from idp_actions.errors import ToolError

    try:
        done = proc.run(["git", "show", "-s", "--format=%ct", sha], cwd=context if context.is_dir() else None,
                        check=False)
    except ToolError:
        return None
    value = done.stdout.strip()
    return int(value) if done.returncode == 0 and value.isdigit() else None


def _pairs(items: Sequence[str], what: str, option: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"{what} {item.partition('=')[0]!r} is not NAME=VALUE",
                             hint=f"pass {option} NAME=VALUE (one per line in the action input)")
        pairs[name.strip()] = value
    return pairs


def _epoch(env: Mapping[str, str]) -> int:
    raw = env.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw:
        return 0
    if not raw.isdigit():
        raise UsageError(f"SOURCE_DATE_EPOCH must be a whole number of seconds, got {raw!r}")
    return int(raw)


def _github_labels(env: Mapping[str, str], context: Path) -> dict[str, str]:
    """The OCI labels a build in Actions gets: where the source is, which commit, and when it was made."""
    if env.get("GITHUB_ACTIONS") != "true":
        return {}
    from idp_actions.image.oci import timestamp

    labels: dict[str, str] = {}
    if env.get("GITHUB_REPOSITORY"):
        server = env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
        labels["org.opencontainers.image.source"] = f"{server}/{env['GITHUB_REPOSITORY']}"
    sha = env.get("GITHUB_SHA", "").strip()
    if sha:
        labels["org.opencontainers.image.revision"] = sha
        when = int(env["SOURCE_DATE_EPOCH"]) if env.get("SOURCE_DATE_EPOCH", "").isdigit() \
            else _commit_time(context, sha)
        if when is not None:
            labels["org.opencontainers.image.created"] = timestamp(when)
    return labels


# ------------------------------------------------------------------- name


def _name(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> int:
    from idp_actions.config import load_config
    from idp_actions.gitops.settings import GitOpsSettings, check_service
    from idp_actions.image.reference import parse_repository

    env = os.environ if environ is None else environ
    config_file = args.config or (Path(gha.get_input("config")) if gha.get_input("config") else None)
    given = (args.image or gha.get_input("image")).strip()
    if given:
        image = parse_repository(given).name
    else:
        config = load_config(Path.cwd(), path=config_file)
        service = args.service or gha.get_input("service") or _default_service(env)
        check_service(service)
        image = GitOpsSettings.from_config(config).image_for(service)
    builder = _builder(args.builder or gha.get_input("builder") or "auto", env)
    registry = parse_repository(image).registry
    print(image)
    gha.set_output("image", image)
    gha.set_output("registry", registry)
    gha.set_output("builder", builder)
    return 0


def _builder(wanted: str, env: Mapping[str, str]) -> str:
    """``auto`` is the Docker engine's build, except under act (no engine there): the daemonless one."""
    wanted = wanted.strip().lower()
    if wanted not in BUILDERS:
        raise UsageError(f"unknown builder {wanted!r}", hint=f"choose one of {', '.join(BUILDERS)}")
    if wanted != "auto":
        return wanted
    return "daemonless" if env.get("ACT") == "true" else "docker"


def _default_service(env: Mapping[str, str]) -> str:
    repository = env.get("GITHUB_REPOSITORY", "").strip()
    name = repository.rsplit("/", 1)[-1] if repository else Path.cwd().name
    return name.lower()
