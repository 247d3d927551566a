"""Dockerfile → build plan → image configuration, without a registry (idp_actions.image.plan/recipe)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from idp_actions.errors import UsageError
from idp_actions.image import reference
from idp_actions.image.auth import Credentials, parse_challenges
from idp_actions.image.errors import DockerfileProblem
from idp_actions.image.plan import plan
from idp_actions.image.recipe import DEFAULT_PATH, CopyLayer, DirLayer, evaluate
from idp_actions.image.words import ExpansionError, expand
from tests.conftest import assert_golden

GOLDEN = Path(__file__).parent / "golden" / "image"


def _golden(name: str, text: str) -> None:
    assert_golden(GOLDEN / name, text)


def _config(text: str, base: dict[str, Any] | None = None, **build_args: str) -> dict[str, Any]:
    return evaluate(plan(text, build_args=build_args), base).config


# -------------------------------------------------------------- refusals


def test_run_is_refused_with_its_line_and_what_to_do_instead() -> None:
    text = "FROM python:3.12-slim\nWORKDIR /srv\nRUN groupadd --gid 10001 app \\\n    && useradd --uid 10001 app\n"
    with pytest.raises(DockerfileProblem) as caught:
        plan(text, file="services/api/Dockerfile")
    assert caught.value.line == 3
    _golden("run-refused.txt", str(caught.value) + "\n")


def test_a_multi_stage_build_names_the_second_from() -> None:
    text = "FROM golang:1.26 AS build\nCOPY . /src\nFROM scratch\nCOPY --from=build /src/app /app\n"
    with pytest.raises(DockerfileProblem, match=r"Dockerfile:3: is a multi-stage build \(a second FROM, after line 1"):
        plan(text)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("ADD https://example.invalid/tool.tgz /opt/", r"ADD of a URL \(https://example.invalid/tool.tgz\)"),
        ("ADD git@github.com:acme/repo.git /src", r"ADD of a URL"),
        ("ADD --checksum=sha256:00 app.tgz /opt/", r"ADD --checksum is for downloads and archives"),
        ("COPY --from=builder /app /app", r"COPY --from needs another build stage or image"),
        ("COPY --parents a/b /dst/", r"COPY --parents is not supported"),
        ("COPY <<EOF /etc/motd\nhello\nEOF", r"COPY with a heredoc"),
    ],
)
def test_copies_that_need_more_than_the_context_are_refused(line: str, message: str) -> None:
    with pytest.raises(DockerfileProblem, match=f"Dockerfile:2: {message}"):
        plan(f"FROM scratch\n{line}\n")


def test_instructions_before_from_and_no_from() -> None:
    with pytest.raises(DockerfileProblem, match="Dockerfile:1: ENV before FROM"):
        plan("ENV A=1\nFROM scratch\n")
    with pytest.raises(DockerfileProblem, match="has no FROM instruction"):
        plan("ARG A=1\n")
    with pytest.raises(DockerfileProblem, match="Dockerfile:2: cannot parse: unknown instruction: FRMO"):
        plan("FROM scratch\nFRMO x\n")


def test_names_in_chown_are_refused_with_the_numeric_form() -> None:
    with pytest.raises(DockerfileProblem, match=r"--chown=app:app: only numeric ids") as caught:
        evaluate(plan("FROM scratch\nCOPY --chown=app:app src/ /srv/src/\n"), None)
    assert caught.value.hint is not None and "--chown=10001:10001" in caught.value.hint


def test_copy_sources_outside_the_context_are_refused() -> None:
    with pytest.raises(DockerfileProblem, match="outside the build context"):
        evaluate(plan("FROM scratch\nCOPY ../secrets /x/\n"), None)


# ------------------------------------------------------------- arguments


def test_args_before_from_choose_the_base_and_build_args_override_them() -> None:
    text = "ARG REGISTRY=127.0.0.1:5000\nARG TAG=3.12\nFROM ${REGISTRY}/library/python:$TAG\n"
    assert plan(text).base == "127.0.0.1:5000/library/python:3.12"
    assert plan(text, build_args={"TAG": "3.13"}).base == "127.0.0.1:5000/library/python:3.13"
    assert plan("FROM scratch\n").base is None
    assert plan("FROM --platform=$BUILDPLATFORM scratch\n").platform == reference.Platform()
    arm = reference.Platform(architecture="arm64")
    by_arch = plan("ARG TARGETARCH\nFROM 127.0.0.1:5000/base:$TARGETARCH\n", platform=arm)
    assert by_arch.base == "127.0.0.1:5000/base:arm64"


def test_stage_args_inherit_globals_take_build_args_and_never_reach_the_image() -> None:
    text = ("ARG VERSION=1.0\nFROM scratch\nARG VERSION\nARG MODE=debug\nARG TOKEN\n"
            "ENV APP_VERSION=$VERSION APP_MODE=${MODE} HAS_TOKEN=${TOKEN:+yes}\n")
    config = _config(text, MODE="release")
    assert config["Env"] == [f"PATH={DEFAULT_PATH}", "APP_VERSION=1.0", "APP_MODE=release", "HAS_TOKEN="]
    built = plan(text, build_args={"UNUSED": "x", "VERSION": "2"})
    assert built.unused_build_args == ("UNUSED",)
    history = [s.created_by for s in evaluate(built, None).steps]
    assert not any(h.startswith("ARG") for h in history)


def test_unsupported_substitutions_are_errors_not_silent() -> None:
    with pytest.raises(DockerfileProblem, match=r"unsupported substitution \$\{NAME/"):
        evaluate(plan("FROM scratch\nENV A=${NAME/x/y}\n"), None)
    with pytest.raises(DockerfileProblem, match="NAME: must be set"):
        evaluate(plan("FROM scratch\nENV A=\"${NAME:?must be set}\"\n"), None)


def test_words_expand_like_buildkit() -> None:
    env = {"A": "x", "EMPTY": ""}
    assert expand("$A-${A}-'$A'-\"$A\"-\\$A", env) == "x-x-$A-x-$A"
    assert expand("${EMPTY:-d} ${EMPTY-d} ${UNSET-d} ${A:+alt} ${UNSET:+alt}", env) == "d  d alt "
    assert expand("cost $5 and $", env) == "cost $5 and $"
    assert expand("`$A", env, escape="`") == "$A"
    with pytest.raises(ExpansionError, match="not closed"):
        expand("'open", env)


# ----------------------------------------------------------- configuration


BASE: dict[str, Any] = {
    "Env": ["PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8", "PYTHON_VERSION=3.12.7"],
    "Cmd": ["python3"],
    "Labels": {"org.opencontainers.image.vendor": "base"},
    "ExposedPorts": {"22/tcp": {}},
    "WorkingDir": "/",
}


def test_the_configuration_continues_the_bases() -> None:
    text = (
        "FROM python:3.12-slim\n"
        "ENV PATH=/srv/bin:$PATH \\\n    PORT=8080\n"
        "ENV LANG C.UTF-8 with spaces\n"
        "LABEL org.opencontainers.image.title=\"payments api\"\n"
        "WORKDIR srv\nWORKDIR app\n"
        "USER 10001:10001\n"
        "EXPOSE ${PORT} 9000-9001/udp\n"
        "VOLUME [\"/data\"]\nVOLUME /cache\n"
        "STOPSIGNAL SIGINT\n"
        "HEALTHCHECK --interval=1m30s --timeout=500ms --retries=3 CMD curl -f http://127.0.0.1:8080/ || exit 1\n"
        "ENTRYPOINT [\"python\", \"-m\", \"payments\"]\n"
        "MAINTAINER platform-team\n"
    )
    result = evaluate(plan(text), BASE)
    config = result.config
    assert config["Env"] == ["PATH=/srv/bin:/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8 with spaces",
                             "PYTHON_VERSION=3.12.7", "PORT=8080"]
    assert config["Labels"] == {"org.opencontainers.image.vendor": "base",
                                "org.opencontainers.image.title": "payments api"}
    assert config["WorkingDir"] == "/srv/app"
    assert config["User"] == "10001:10001"
    assert config["ExposedPorts"] == {"22/tcp": {}, "8080/tcp": {}, "9000/udp": {}, "9001/udp": {}}
    assert config["Volumes"] == {"/data": {}, "/cache": {}}
    assert config["StopSignal"] == "SIGINT"
    assert config["Healthcheck"] == {"Test": ["CMD-SHELL", "curl -f http://127.0.0.1:8080/ || exit 1"],
                                     "Interval": 90 * 10**9, "Timeout": 500 * 10**6, "Retries": 3}
    assert config["Entrypoint"] == ["python", "-m", "payments"]
    assert "Cmd" not in config  # an ENTRYPOINT clears the CMD the base had
    assert result.author == "platform-team"
    assert BASE["Env"][0] == "PATH=/usr/local/bin:/usr/bin:/bin"  # the base is not changed
    dirs = [s.layer for s in result.steps if isinstance(s.layer, DirLayer)]
    assert [(d.path, d.uid) for d in dirs] == [("/srv", 0), ("/srv/app", 0)]


def test_shell_forms_run_under_the_shell_and_cmd_after_entrypoint_stays() -> None:
    config = _config('FROM scratch\nSHELL ["/bin/ash", "-eo", "pipefail", "-c"]\nENTRYPOINT exec app\n'
                     'CMD serve 8080\nHEALTHCHECK NONE\n')
    assert config["Entrypoint"] == ["/bin/ash", "-eo", "pipefail", "-c", "exec app"]
    assert config["Cmd"] == ["/bin/ash", "-eo", "pipefail", "-c", "serve 8080"]
    assert config["Shell"] == ["/bin/ash", "-eo", "pipefail", "-c"]
    assert config["Healthcheck"] == {"Test": ["NONE"]}


def test_copy_destinations_resolve_against_workdir_and_chown_and_chmod_are_read() -> None:
    text = ("FROM scratch\nWORKDIR /srv\nCOPY --chown=10001 --chmod=0750 src/ ./src/\nCOPY app.py run\n"
            "COPY a b ./lib\nCOPY conf.yaml /srv\nUSER 10001:10002\nWORKDIR data\n")
    layers = [s.layer for s in evaluate(plan(text), None).steps if s.layer is not None]
    assert layers[1] == CopyLayer(instruction="COPY", line=3, sources=("src",), dest="/srv/src", dest_is_dir=True,
                                  uid=10001, gid=10001, mode=0o750)
    assert (layers[2].dest, layers[2].dest_is_dir) == ("/srv/run", False)  # type: ignore[union-attr]
    assert (layers[3].dest, layers[3].dest_is_dir) == ("/srv/lib", True)  # type: ignore[union-attr]
    assert (layers[4].dest, layers[4].dest_is_dir) == ("/srv", True)  # type: ignore[union-attr]
    assert layers[5] == DirLayer(line=8, path="/srv/data", uid=10001, gid=10002)


def test_a_base_with_onbuild_triggers_is_refused() -> None:
    with pytest.raises(DockerfileProblem, match=r"Dockerfile:1: the base image node:onbuild has ONBUILD triggers"):
        evaluate(plan("FROM node:onbuild\nCMD [\"node\"]\n"), {"OnBuild": ["RUN npm install"]})
    config = _config("FROM scratch\nONBUILD COPY . /app/\n")
    assert config["OnBuild"] == ["COPY . /app/"]


# ------------------------------------------------------- references, auth


@pytest.mark.parametrize(
    ("text", "registry", "repository", "tag", "digest"),
    [
        ("python:3.12-slim", "docker.io", "library/python", "3.12-slim", None),
        ("acme/app", "docker.io", "acme/app", None, None),
        ("127.0.0.1:5000/acme/payments-api:1.2.3", "127.0.0.1:5000", "acme/payments-api", "1.2.3", None),
        ("localhost/app@sha256:" + "a" * 64, "localhost", "app", None, "sha256:" + "a" * 64),
        ("[::1]:5000/x/y:latest", "[::1]:5000", "x/y", "latest", None),
        ("ghcr.io/acme/app:v1@sha256:" + "b" * 64, "ghcr.io", "acme/app", "v1", "sha256:" + "b" * 64),
    ],
)
def test_references_are_parsed(text: str, registry: str, repository: str, tag: str | None,
                               digest: str | None) -> None:
    ref = reference.parse(text)
    assert (ref.registry, ref.repository, ref.tag, ref.digest) == (registry, repository, tag, digest)


def test_reference_properties_and_errors() -> None:
    assert reference.parse("python").api_host == "registry-1.docker.io"
    assert reference.parse("127.0.0.2:5000/a").loopback and reference.parse("[::1]:5/a").loopback
    assert not reference.parse("ghcr.io/a").loopback
    with pytest.raises(UsageError, match="invalid repository name component 'Acme'"):
        reference.parse("ghcr.io/Acme/app")
    with pytest.raises(UsageError, match="invalid digest"):
        reference.parse("app@sha256:abc")
    with pytest.raises(UsageError, match="names a digest"):
        reference.parse_repository("127.0.0.1:5000/app@sha256:" + "c" * 64, what="--image")
    with pytest.raises(UsageError, match="is not OS/ARCH"):
        reference.parse_platform("amd64")


def test_challenges_and_credentials() -> None:
    [bearer] = parse_challenges('Bearer realm="https://auth.example.invalid/token",service="registry.example.invalid",'
                                'scope="repository:acme/app:pull,push"')
    assert bearer.scheme == "bearer"
    assert bearer.params == {"realm": "https://auth.example.invalid/token", "service": "registry.example.invalid",
                             "scope": "repository:acme/app:pull,push"}
    basic, other = parse_challenges('Basic realm="Registry Realm", Bearer realm="https://x.invalid/t"')
    assert (basic.scheme, basic.params["realm"], other.scheme) == ("basic", "Registry Realm", "bearer")
    assert Credentials.from_environ({}) is None
    creds = Credentials.from_environ({"IDP_REGISTRY_USERNAME": "bot", "IDP_REGISTRY_PASSWORD": "s3cret"})
    assert creds is not None and "s3cret" not in repr(creds)
    with pytest.raises(UsageError, match="IDP_REGISTRY_PASSWORD is not set, but IDP_REGISTRY_USERNAME is"):
        Credentials.from_environ({"IDP_REGISTRY_USERNAME": "bot"})
