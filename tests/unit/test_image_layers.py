"""Layers, .dockerignore and whole scratch builds on disk (idp_actions.image.layers, build, oci)."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
from pathlib import Path

import pytest

from idp_actions.image.build import BuildOptions, Image, build, write_archive
from idp_actions.image.errors import DockerfileProblem
from idp_actions.image.ignore import DockerIgnore
from idp_actions.image.registry import Clients


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    return root


def _members(blob: Path) -> list[tuple[str, str, int, int, int, int, str, str]]:
    """(name, type, mode, uid, gid, mtime, uname, content or link target) of each entry."""
    out = []
    with tarfile.open(blob) as tar:
        for m in tar.getmembers():
            kind = "dir" if m.isdir() else "link" if m.issym() else "file"
            content = m.linkname if m.issym() else (tar.extractfile(m).read().decode() if m.isfile() else "")  # type: ignore[union-attr]
            out.append((m.name, kind, m.mode, m.uid, m.gid, m.mtime, m.uname + m.gname, content))
    return out


def _build(context: Path, dockerfile: str, work: Path, **options: object) -> Image:
    (context / "Dockerfile").write_text(dockerfile, encoding="utf-8")
    return build(BuildOptions(context=context, **options), clients=Clients(), workdir=work)  # type: ignore[arg-type]


APP = {
    "src/payments/__init__.py": "",
    "src/payments/__main__.py": "print('ok')\n",
    "src/payments/tests/test_x.py": "def test(): pass\n",
    "src/payments/__pycache__/x.pyc": "junk",
    "config/settings.yaml": "port: 8080\n",
    ".env": "SECRET=1\n",
    "README.md": "# payments\n",
}


def test_layer_contents_ownership_modes_and_times(tmp_path: Path) -> None:
    context = _tree(tmp_path / "ctx", APP)
    (context / "src/payments/__main__.py").chmod(0o775)
    (context / "src/payments/link.py").symlink_to("__main__.py")
    image = _build(context, "FROM scratch\nWORKDIR /srv\nCOPY --chown=10001:10001 src/ ./src/\n"
                   "COPY --chmod=600 config/settings.yaml /etc/payments/\n", tmp_path / "work", epoch=1_700_000_000)
    workdir, src, config = (layer.path for layer in image.layers)
    assert _members(workdir) == [("srv", "dir", 0o755, 0, 0, 1_700_000_000, "", "")]
    assert _members(src) == [
        ("srv", "dir", 0o755, 0, 0, 1_700_000_000, "", ""),
        ("srv/src", "dir", 0o755, 10001, 10001, 1_700_000_000, "", ""),
        ("srv/src/payments", "dir", 0o755, 10001, 10001, 1_700_000_000, "", ""),
        ("srv/src/payments/__init__.py", "file", 0o644, 10001, 10001, 1_700_000_000, "", ""),
        ("srv/src/payments/__main__.py", "file", 0o755, 10001, 10001, 1_700_000_000, "", "print('ok')\n"),
        ("srv/src/payments/__pycache__", "dir", 0o755, 10001, 10001, 1_700_000_000, "", ""),
        ("srv/src/payments/__pycache__/x.pyc", "file", 0o644, 10001, 10001, 1_700_000_000, "", "junk"),
        ("srv/src/payments/link.py", "link", 0o777, 10001, 10001, 1_700_000_000, "", "__main__.py"),
        ("srv/src/payments/tests", "dir", 0o755, 10001, 10001, 1_700_000_000, "", ""),
        ("srv/src/payments/tests/test_x.py", "file", 0o644, 10001, 10001, 1_700_000_000, "", "def test(): pass\n"),
    ]
    assert _members(config) == [
        ("etc", "dir", 0o755, 0, 0, 1_700_000_000, "", ""),
        ("etc/payments", "dir", 0o755, 0, 0, 1_700_000_000, "", ""),
        ("etc/payments/settings.yaml", "file", 0o600, 0, 0, 1_700_000_000, "", "port: 8080\n"),
    ]
    # gzip header: no file name, time 0; diff_id is the digest of the uncompressed tar
    raw = src.read_bytes() if src else b""
    assert raw[:2] == b"\x1f\x8b" and raw[3] & 0x08 == 0 and raw[4:8] == b"\0\0\0\0"
    diff_id = "sha256:" + hashlib.sha256(gzip.decompress(raw)).hexdigest()
    assert image.config_json["rootfs"]["diff_ids"][1] == diff_id
    assert image.config_json["created"] == "2023-11-14T22:13:20Z"


def test_dockerignore_is_honoured_with_exceptions(tmp_path: Path) -> None:
    context = _tree(tmp_path / "ctx", {**APP, ".dockerignore": "# local only\n.env\n**/__pycache__\n"
                                       "src/**/tests\n*.md\n!README.md\n/config/\n"})
    image = _build(context, "FROM scratch\nCOPY . /app/\n", tmp_path / "work")
    names = [m[0] for m in _members(image.layers[0].path)]  # type: ignore[arg-type]
    assert names == ["app", "app/.dockerignore", "app/Dockerfile", "app/README.md", "app/src", "app/src/payments",
                     "app/src/payments/__init__.py", "app/src/payments/__main__.py"]
    with pytest.raises(DockerfileProblem, match=r"COPY source '.env' is not in the build context "
                       r"\(the .dockerignore excludes it\)"):
        _build(context, "FROM scratch\nCOPY .env /app/\n", tmp_path / "work2")


@pytest.mark.parametrize(
    ("patterns", "path", "excluded"),
    [
        (["*.md"], "README.md", True),
        (["*.md"], "docs/guide.md", False),
        (["**/*.md"], "docs/guide.md", True),
        (["docs"], "docs/a/b.txt", True),
        (["docs", "!docs/keep.txt"], "docs/keep.txt", False),
        (["docs", "!docs/keep.txt"], "docs/drop.txt", True),
        (["!x", "x"], "x", True),
        (["a/?.txt"], "a/1.txt", True),
        (["a/[0-9].txt"], "a/b.txt", False),
        (["./build/../dist"], "dist/app", True),
        (["/node_modules"], "node_modules/x/index.js", True),
        (["**"], "anything/at/all", True),
        (["**", "!src"], "src/main.py", False),
    ],
)
def test_dockerignore_rules(patterns: list[str], path: str, excluded: bool) -> None:
    assert DockerIgnore(patterns).excluded(path) is excluded


def test_the_same_inputs_give_the_same_digest(tmp_path: Path) -> None:
    dockerfile = "FROM scratch\nWORKDIR /srv\nCOPY src/ ./src/\nCOPY config /etc/app/\nENV A=1\n"
    first = _build(_tree(tmp_path / "one", APP), dockerfile, tmp_path / "w1")
    second_context = _tree(tmp_path / "two", dict(reversed(APP.items())))  # other order, other inodes, later
    for path in second_context.rglob("*"):
        os.utime(path, (2_000_000_000, 2_000_000_000), follow_symlinks=False)
    second = _build(second_context, dockerfile, tmp_path / "w2")
    assert first.digest == second.digest
    assert first.manifest == second.manifest
    changed = _build(second_context, dockerfile.replace("A=1", "A=2"), tmp_path / "w3")
    assert changed.digest != first.digest
    later = _build(second_context, dockerfile, tmp_path / "w4", epoch=86400)
    assert later.digest != first.digest


def test_copy_rules_files_globs_and_errors(tmp_path: Path) -> None:
    context = _tree(tmp_path / "ctx", {"bin/a.sh": "a", "bin/b.sh": "b", "bin/c.txt": "c", "one.txt": "1"})
    image = _build(context, "FROM scratch\nCOPY bin/*.sh /usr/local/bin/\nCOPY one.txt /opt/renamed.txt\n"
                   "COPY bin /opt/bin\n", tmp_path / "w")
    names = [[m[0] for m in _members(layer.path) if m[1] != "dir"] for layer in image.layers]  # type: ignore[arg-type]
    assert names == [["usr/local/bin/a.sh", "usr/local/bin/b.sh"], ["opt/renamed.txt"],
                     ["opt/bin/a.sh", "opt/bin/b.sh", "opt/bin/c.txt"]]
    with pytest.raises(DockerfileProblem, match=r"Dockerfile:2: COPY of several files into /opt/x: end the "
                       r"destination with /"):
        _build(context, "FROM scratch\nCOPY bin/*.sh /opt/x\n", tmp_path / "w2")
    with pytest.raises(DockerfileProblem, match=r"COPY source 'missing/\*' is not in the build context"):
        _build(context, "FROM scratch\nCOPY missing/* /opt/\n", tmp_path / "w3")
    (context / "escape").symlink_to(tmp_path)
    with pytest.raises(DockerfileProblem, match="points outside the build context"):
        _build(context, "FROM scratch\nCOPY escape /opt/\n", tmp_path / "w4")


def test_add_of_a_local_archive_is_refused_but_copy_keeps_it(tmp_path: Path) -> None:
    context = tmp_path / "ctx"
    context.mkdir()
    payload = io.BytesIO()
    with tarfile.open(fileobj=payload, mode="w:gz") as tar:
        info = tarfile.TarInfo("x")
        tar.addfile(info, io.BytesIO(b""))
    (context / "tool.tar.gz").write_bytes(payload.getvalue())
    with pytest.raises(DockerfileProblem, match=r"ADD tool\.tar\.gz: ADD unpacks local archives"):
        _build(context, "FROM scratch\nADD tool.tar.gz /opt/\n", tmp_path / "w")
    image = _build(context, "FROM scratch\nCOPY tool.tar.gz /opt/\nADD Dockerfile /opt/\n", tmp_path / "w2")
    assert image.new_layers == 2


def test_an_oci_archive_holds_the_image(tmp_path: Path) -> None:
    context = _tree(tmp_path / "ctx", APP)
    image = _build(context, "FROM scratch\nCOPY src/ /app/\nCMD [\"python\", \"-m\", \"payments\"]\n", tmp_path / "w")
    archive = write_archive(image, tmp_path / "out" / "image.tar", clients=Clients(), workdir=tmp_path / "w",
                            ref_names=["v1"])
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        index = json.loads(tar.extractfile("index.json").read())  # type: ignore[union-attr]
        manifest = tar.extractfile(f"blobs/sha256/{image.digest[7:]}").read()  # type: ignore[union-attr]
    assert "oci-layout" in names and f"blobs/sha256/{image.config_digest[7:]}" in names
    assert index["manifests"] == [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": image.digest,
                                   "size": len(image.manifest),
                                   "annotations": {"org.opencontainers.image.ref.name": "v1"}}]
    assert manifest == image.manifest
    document = json.loads(manifest)
    assert document["config"]["digest"] == image.config_digest
    assert [layer["mediaType"] for layer in document["layers"]] == ["application/vnd.oci.image.layer.v1.tar+gzip"]
    assert image.config_json["config"]["Cmd"] == ["python", "-m", "payments"]
    assert image.config_json["config"]["Env"][0].startswith("PATH=")
    assert (image.config_json["architecture"], image.config_json["os"]) == ("amd64", "linux")
