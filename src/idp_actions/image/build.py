"""Building an image from a Dockerfile without a container runtime, and pushing it by digest.

:func:`build` reads the Dockerfile into a plan, pulls the base image's manifest and
configuration (not its layers: they are fetched only if a push to another registry
or an archive needs them), writes one reproducible layer per ``COPY``/``ADD`` (and
per ``WORKDIR`` that makes a directory), and assembles the configuration and the
OCI manifest. :func:`push_image` and :func:`write_archive` put the result somewhere;
:func:`build_and_push` does all of it for scripts.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from idp_actions.errors import UsageError
from idp_actions.image import oci
from idp_actions.image import plan as planning
from idp_actions.image import reference as refs
from idp_actions.image.errors import DockerfileProblem
from idp_actions.image.layers import Context, write_layer
from idp_actions.image.recipe import evaluate
from idp_actions.image.reference import Platform, Reference
from idp_actions.image.registry import Clients
from idp_actions.image.transfer import BaseImage, ImageLayer, Progress, PushResult, fetch_layer, pull_base
from idp_actions.image.transfer import push as push_blobs


@dataclass(frozen=True, kw_only=True)
class BuildOptions:
    """What to build: the context, the Dockerfile, build arguments, extra labels, platform and time."""

    context: Path
    dockerfile: Path | None = None
    build_args: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    platform: Platform | None = None
    #: seconds since 1970 for every timestamp in the image (``SOURCE_DATE_EPOCH``; 0 by default)
    epoch: int = 0

    @property
    def file(self) -> Path:
        """The Dockerfile: ``dockerfile``, or ``Dockerfile`` in the context."""
        return self.dockerfile or self.context / "Dockerfile"


@dataclass(frozen=True, kw_only=True)
class Image:
    """A built image: manifest, configuration and layers, ready to push or archive."""

    manifest: bytes
    digest: str
    config: bytes
    config_digest: str
    layers: tuple[ImageLayer, ...]
    base: BaseImage | None
    new_layers: int
    platform: str
    notes: tuple[str, ...] = ()

    @property
    def size(self) -> int:
        """Bytes a registry stores for it: configuration and (compressed) layers."""
        return len(self.config) + sum(layer.descriptor.size for layer in self.layers)

    @property
    def config_json(self) -> dict[str, Any]:
        """The image configuration."""
        value: dict[str, Any] = json.loads(self.config)
        return value


def _display(path: Path, context: Path) -> str:
    try:
        return path.resolve().relative_to(context.resolve()).as_posix()
    except ValueError:
        return str(path)


def build(options: BuildOptions, *, clients: Clients, workdir: Path, progress: Progress | None = None) -> Image:
    """Build the image ``options`` describe; new layers are written under ``workdir``.

    ``clients`` reach the base image's registry (nothing is fetched for ``FROM scratch``).
    """
    say = progress or (lambda _message: None)
    if not options.context.is_dir():
        raise UsageError(f"the build context {options.context} is not a directory",
                         hint="pass --context DIR (input `context`), the directory COPY sources are relative to")
    dockerfile = options.file
    if not dockerfile.is_file():
        raise UsageError(f"there is no Dockerfile at {dockerfile}",
                         hint="pass --file PATH (input `file`), or put a Dockerfile in the build context")
    display = _display(dockerfile, options.context)
    plan = planning.plan(dockerfile.read_text(encoding="utf-8"), file=display, build_args=options.build_args,
                         platform=options.platform)
    platform = plan.platform or options.platform or Platform()
    base: BaseImage | None = None
    if plan.base is not None:
        where = f"{display}:{plan.base_line}"
        try:
            ref = refs.parse(plan.base, what="the base image")
        except UsageError as exc:
            raise DockerfileProblem(f"FROM: {exc.message}", file=display, line=plan.base_line, hint=exc.hint) from None
        say(f"base image {ref}: reading its manifest and configuration ({platform})")
        base = pull_base(clients.for_host(ref.api_host), ref, platform, where=where)
    base_config = base.config if base else {}
    recipe = evaluate(plan, base_config.get("config") if isinstance(base_config.get("config"), dict) else None)
    config = dict(recipe.config)
    if options.labels:
        config["Labels"] = {**(config.get("Labels") or {}), **options.labels}
    context = Context(options.context, file=display)
    layers: list[ImageLayer] = []
    if base is not None:
        layers += [ImageLayer(descriptor=d, diff_id=str(i), origin=base.reference)
                   for d, i in zip(base.layers, base_config["rootfs"]["diff_ids"], strict=True)]
    history: list[tuple[str, bool]] = []
    new_diff_ids: list[str] = []
    for step in recipe.steps:
        if step.layer is None:
            history.append((step.created_by, True))
            continue
        built = write_layer(step.layer, context, epoch=options.epoch, out_dir=workdir / "blobs")
        say(f"layer {built.blob.digest[7:19]}: {step.created_by} ({built.files} file(s))")
        layers.append(ImageLayer(descriptor=oci.Descriptor(media_type=built.media_type, digest=built.blob.digest,
                                                           size=built.blob.size),
                                 diff_id=built.diff_id, path=built.blob.path))
        new_diff_ids.append(built.diff_id)
        history.append((step.created_by, False))
    architecture = str(base_config.get("architecture") or platform.architecture)
    os_name = str(base_config.get("os") or platform.os)
    variant = base_config.get("variant") if base else platform.variant
    config_doc = oci.image_config(
        base=base_config, config=config, author=recipe.author, architecture=architecture, os=os_name,
        variant=str(variant) if variant else None, diff_ids=new_diff_ids, history=history,
        created=oci.timestamp(options.epoch),
    )
    config_bytes = oci.canonical(config_doc)
    config_digest = oci.digest_of(config_bytes)
    annotations = {oci.BASE_NAME: str(base.reference), oci.BASE_DIGEST: base.digest} if base else None
    manifest_bytes = oci.canonical(oci.manifest(
        oci.Descriptor(media_type=oci.OCI_CONFIG, digest=config_digest, size=len(config_bytes)),
        [layer.descriptor for layer in layers], annotations))
    notes = [f"build argument {name} is not used by any ARG in {display}" for name in plan.unused_build_args]
    if base is not None and (architecture, os_name) != (platform.architecture, platform.os):
        notes.append(f"the base image {base.reference} is {os_name}/{architecture}, not {platform}")
    return Image(
        manifest=manifest_bytes,
        digest=oci.digest_of(manifest_bytes),
        config=config_bytes,
        config_digest=config_digest,
        layers=tuple(layers),
        base=base,
        new_layers=len(new_diff_ids),
        platform=f"{os_name}/{architecture}" + (f"/{variant}" if variant else ""),
        notes=tuple(notes),
    )


def push_image(image: Image, target: Reference, tags: Sequence[str], *, clients: Clients, workdir: Path,
               progress: Progress | None = None) -> PushResult:
    """Push ``image`` to ``target``'s repository under ``tags`` (by digest alone when there are none)."""
    for tag in tags:
        if not refs.is_tag(tag):
            raise UsageError(f"tag {tag!r} is not valid",
                             hint="a tag is up to 128 letters, digits, _, . and -, not starting with . or -")
    return push_blobs(manifest=image.manifest, digest=image.digest, config=image.config,
                      config_digest=image.config_digest, layers=image.layers, target=target, tags=tags,
                      clients=clients, workdir=workdir, progress=progress or (lambda _message: None))


def write_archive(image: Image, path: Path, *, clients: Clients, workdir: Path,
                  ref_names: Sequence[str] = ()) -> Path:
    """Write ``image`` as an OCI image layout tarball (base layers downloaded and verified as needed)."""
    blobs: dict[str, Path | bytes] = {image.config_digest: image.config}
    for layer in image.layers:
        blobs[layer.descriptor.digest] = fetch_layer(layer, clients, workdir)
    return oci.write_layout_archive(path, manifest_bytes=image.manifest, blobs=blobs, ref_names=ref_names)


@dataclass(frozen=True, kw_only=True)
class Result:
    """What :func:`build_and_push` did."""

    image: Image
    repository: Reference
    pushed: PushResult | None
    archive: Path | None

    @property
    def digest(self) -> str:
        """The manifest's digest (``sha256:…``)."""
        return self.image.digest

    @property
    def pinned(self) -> str:
        """``REPOSITORY@sha256:…``: the reference to deploy and promote."""
        return str(self.repository.with_digest(self.image.digest))


@contextmanager
def _workdir(workdir: Path | None) -> Iterator[Path]:
    if workdir is not None:
        workdir.mkdir(parents=True, exist_ok=True)
        yield workdir
        return
    with tempfile.TemporaryDirectory(prefix="idp-image-") as tmp:
        yield Path(tmp)


def build_and_push(
    *,
    context: Path,
    image: str,
    dockerfile: Path | None = None,
    tags: Sequence[str] = (),
    build_args: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    push: bool = True,
    oci_archive: Path | None = None,
    platform: str | None = None,
    epoch: int = 0,
    clients: Clients | None = None,
    workdir: Path | None = None,
    progress: Progress | None = None,
) -> Result:
    """Build ``context`` (its ``Dockerfile`` unless ``dockerfile``) as ``image`` and push it under ``tags``.

    ``image`` is the repository (``127.0.0.1:5000/acme/payments-api``; a ``:tag``
    is added to ``tags``). Without ``clients``, registries are reached without
    credentials. ``oci_archive`` also writes an OCI layout tarball. New layers are
    written under ``workdir``; without one, a temporary directory is used and removed
    before returning (the result's layer paths then no longer exist).
    """
    target = refs.parse_repository(image)
    all_tags = [*([target.tag] if target.tag else []), *tags]
    clients = clients or Clients()
    options = BuildOptions(context=context, dockerfile=dockerfile, build_args=dict(build_args or {}),
                           labels=dict(labels or {}), platform=refs.parse_platform(platform) if platform else None,
                           epoch=epoch)
    with _workdir(workdir) as work:
        built = build(options, clients=clients, workdir=work, progress=progress)
        pushed = push_image(built, target, all_tags, clients=clients, workdir=work, progress=progress) if push else None
        archive = write_archive(built, oci_archive, clients=clients, workdir=work,
                                ref_names=all_tags) if oci_archive else None
    return Result(image=built, repository=Reference(registry=target.registry, repository=target.repository),
                  pushed=pushed, archive=archive)
