"""The Argo CD client and the verification loop against the stateful fake (validated by swagger.json)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from idp_actions.errors import UsageError
from idp_actions.gitops.argocd import ArgoCD, ArgoCDError
from idp_actions.gitops.backoff import Backoff
from idp_actions.gitops.wait import verify
from tests.fakes.argocd_server import GET_APP, SYNC_APP, FakeArgoCD, running_argocd
from tests.fakes.gitops_repo import GitOpsRemote, digest

FAST_API = Backoff(attempts=3, base=0.01, cap=0.02)
FAST_POLL = Backoff(attempts=1_000_000, base=0.005, factor=1.5, cap=0.02, jitter=False)
APP = "payments-dev"
OVERLAY = "apps/payments/overlays/dev"


@pytest.fixture
def remote(tmp_path: Path) -> GitOpsRemote:
    remote = GitOpsRemote(tmp_path / "remote")
    remote.seed(["payments"])
    return remote


@pytest.fixture
def argocd(remote: GitOpsRemote) -> Iterator[FakeArgoCD]:
    with running_argocd(remote.bare) as fake:
        fake.add_app(APP, path=OVERLAY)
        yield fake


def client(fake: FakeArgoCD, *, token: str | None = None, timeout: float = 2.0) -> ArgoCD:
    return ArgoCD(fake.url, token or fake.token, backoff=FAST_API, timeout=timeout)


def promote(remote: GitOpsRemote, n: int) -> str:
    path = f"{OVERLAY}/kustomization.yaml"
    text = remote.show(path).replace(digest(1), digest(n))
    return remote.commit({path: text + "\n"}, f"promote {n}")


def run(fake: FakeArgoCD, commit: str, *, timeout: float = 5.0, **kwargs: object):  # type: ignore[no-untyped-def]
    return verify(client(fake), APP, commit, timeout=timeout, poll=FAST_POLL, **kwargs)  # type: ignore[arg-type]


def test_a_healthy_rollout_is_accepted_only_once_synced_reconciled_and_healthy(
    remote: GitOpsRemote, argocd: FakeArgoCD
) -> None:
    commit = promote(remote, 2)
    seen: list[str] = []

    outcome = run(argocd, commit, progress=seen.append)

    assert outcome.ok, outcome.reason
    assert outcome.reason == f"Synced and Healthy at {commit[:12]}"
    assert outcome.status is not None and outcome.status.images == (f"ghcr.io/acme/payments@{digest(2)}",)
    assert argocd.count("POST", SYNC_APP) == 1
    assert argocd.calls("POST", SYNC_APP)[0].request_body["revision"] == commit
    assert any("Progressing" in line for line in seen)  # it looked while rolling out, and kept waiting
    assert outcome.polls == argocd.count("GET", GET_APP) <= 5


@pytest.mark.parametrize(
    ("behaviour", "expected"),
    [
        ("degraded", 'the Application is Degraded at {short}: Deployment "app" exceeded its progress deadline'),
        ("healthy-before-reconcile", "the Application is Degraded at {short}"),
        ("sync-failed", "the sync operation failed: one or more objects failed to apply"),
        ("wrong-revision", "not {short}: the Application follows another revision"),
    ],
)
def test_failures_are_reported_at_once_with_argo_cds_reason(
    remote: GitOpsRemote, argocd: FakeArgoCD, behaviour: str, expected: str
) -> None:
    commit = promote(remote, 3)
    argocd.behaviour[digest(3)] = behaviour  # type: ignore[assignment]

    outcome = run(argocd, commit)

    assert not outcome.ok
    assert expected.format(short=commit[:12]) in outcome.reason


def test_healthy_before_reconcile_is_never_taken_for_success(remote: GitOpsRemote, argocd: FakeArgoCD) -> None:
    commit = promote(remote, 3)
    argocd.behaviour[digest(3)] = "healthy-before-reconcile"
    seen: list[str] = []

    outcome = run(argocd, commit, progress=seen.append)

    assert not outcome.ok
    assert any("waiting for Argo CD to reconcile after it (health Healthy" in line for line in seen), seen


@pytest.mark.parametrize(
    ("behaviour", "expected"),
    [
        ("stuck", "last state: health is Progressing at {short}: resources are still rolling out"),
        ("missing", "last state: health is Missing at {short}: resources are missing from the cluster"),
        ("unknown", "Argo CD could not assess health: health assessment failed"),
    ],
)
def test_states_that_never_settle_fail_at_the_deadline_with_the_last_state(
    remote: GitOpsRemote, argocd: FakeArgoCD, behaviour: str, expected: str
) -> None:
    commit = promote(remote, 4)
    argocd.behaviour[digest(4)] = behaviour  # type: ignore[assignment]

    outcome = run(argocd, commit, timeout=0.4)

    assert not outcome.ok
    assert outcome.reason.startswith(f"not Synced and Healthy at {commit[:12]} after 0.4s")
    assert expected.format(short=commit[:12]) in outcome.reason
    assert outcome.polls < 40  # the interval grew: no busy loop


def test_no_wait_only_requests_the_sync(remote: GitOpsRemote, argocd: FakeArgoCD) -> None:
    commit = promote(remote, 2)
    outcome = run(argocd, commit, wait=False)
    assert outcome.ok and "not waited for" in outcome.reason
    assert argocd.count("GET", GET_APP) == 1 and argocd.count("POST", SYNC_APP) == 1


def test_a_running_operation_is_waited_out_before_syncing(remote: GitOpsRemote, argocd: FakeArgoCD) -> None:
    first = promote(remote, 2)
    client(argocd).sync(APP, first)  # someone else's sync, running for two more looks
    argocd.apps[APP].steps[:0] = [lambda app, now: None] * 2
    second = promote(remote, 5)

    outcome = run(argocd, second)

    assert outcome.ok, outcome.reason
    statuses = [s.status for s in argocd.calls("POST", SYNC_APP)]
    assert statuses[0] == statuses[-1] == 200 and 400 in statuses
    assert argocd.calls("POST", SYNC_APP)[-1].request_body["revision"] == second


def test_a_later_commit_that_keeps_the_digest_is_accepted(remote: GitOpsRemote, argocd: FakeArgoCD) -> None:
    ours = promote(remote, 2)
    later = remote.commit({"apps/other/README.md": "another service\n"}, "another promotion")

    outcome = run(argocd, later, accept=lambda rev: rev in (ours, later))

    assert outcome.ok


def test_server_errors_are_retried_a_bounded_number_of_times(remote: GitOpsRemote, argocd: FakeArgoCD) -> None:
    argocd.inject("server-error", method="GET", times=2)
    assert client(argocd).application(APP).health == "Healthy"

    argocd.inject("bad-gateway", times=3)
    with pytest.raises(ArgoCDError) as caught:
        client(argocd).application(APP)
    assert "failed 3 times; last: HTTP 502: 502 Bad Gateway" in str(caught.value)
    assert argocd.count("GET", GET_APP) == 3 + 3


def test_timeouts_are_retried_then_fail_clearly(remote: GitOpsRemote, argocd: FakeArgoCD) -> None:
    argocd.inject("slow", times=1, delay=0.5)
    assert client(argocd, timeout=0.2).application(APP).name == APP

    argocd.inject("slow", times=3, delay=0.5)
    with pytest.raises(ArgoCDError, match=r"failed 3 times; last: no answer within 0.2s"):
        client(argocd, timeout=0.2).application(APP)


def test_a_sync_whose_answer_was_lost_is_not_sent_twice_into_an_error(remote: GitOpsRemote, argocd: FakeArgoCD) -> None:
    commit = promote(remote, 2)
    argocd.inject("slow", method="POST", times=1, delay=0.5)  # the sync runs, its answer times out

    outcome = verify(client(argocd, timeout=0.2), APP, commit, timeout=5, poll=FAST_POLL)

    assert outcome.ok, outcome.reason


@pytest.mark.parametrize(
    ("token", "app", "status", "hint"),
    [
        ("wrong-token", APP, 401, "renew the `argocd-token` secret"),
        (None, "unknown-app", 404, "check `argocd-app`"),
    ],
)
def test_refusals_fail_at_once_with_what_to_do(
    argocd: FakeArgoCD, token: str | None, app: str, status: int, hint: str
) -> None:
    with pytest.raises(ArgoCDError) as caught:
        client(argocd, token=token).application(app)
    assert caught.value.status == status and hint in str(caught.value)
    assert argocd.count() == 1


def test_the_token_never_goes_over_plain_http_to_another_host() -> None:
    with pytest.raises(UsageError, match="refusing to send the Argo CD token over plain http"):
        ArgoCD("http://argocd.example.com", "t")
    with pytest.raises(UsageError, match="no Argo CD token"):
        ArgoCD("https://argocd.example.com", " ")
    assert ArgoCD("http://127.0.0.1:8080/", "t").server == "http://127.0.0.1:8080"


def test_the_contract_check_catches_what_argo_cd_does_not_document(argocd: FakeArgoCD) -> None:
    from tests.fakes.argocd_openapi import nonconforming
    from tests.fakes.argocd_server import Exchange

    good = client(argocd).application(APP).raw
    bad_body = {**good, "status": {**good["status"], "healthy": True, "reconciledAt": "yesterday"}}
    exchanges = [
        Exchange("GET", f"/api/v1/applications/{APP}", GET_APP, {}, None, 200, bad_body),
        Exchange("GET", f"/api/v1/applications/{APP}", GET_APP, {"watch": "1"}, None, 200, good),
        Exchange("POST", f"/api/v1/applications/{APP}/sync", SYNC_APP, {}, {"revison": "x"}, 200, good),
    ]
    problems = "\n".join(nonconforming(exchanges))
    assert "'healthy' was unexpected" in problems
    assert "'yesterday' is not a 'date-time'" in problems
    assert "query parameter `watch` is not declared" in problems
    assert "request at $: Additional properties are not allowed ('revison' was unexpected)" in problems


def test_long_waits_print_a_status_line_now_and_then(remote: GitOpsRemote, argocd: FakeArgoCD) -> None:
    from idp_actions.gitops.backoff import Clock

    now = [0.0]
    clock = Clock(monotonic=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    commit = promote(remote, 4)
    argocd.behaviour[digest(4)] = "stuck"
    seen: list[str] = []

    outcome = verify(
        ArgoCD(argocd.url, argocd.token, backoff=FAST_API),
        APP,
        commit,
        timeout=120,
        clock=clock,
        progress=seen.append,
    )

    assert not outcome.ok
    still = [line for line in seen if "still waiting after" in line]
    assert 2 <= len(still) <= 5 and "of 120s: health is Progressing" in still[0]
    assert outcome.polls <= 14  # 2 s growing to 15 s between looks: about a dozen in two minutes


def _certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (its own CA), as a private Argo CD would have."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "argocd.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "argocd.crt", directory / "argocd.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


def test_tls_is_verified_and_a_ca_bundle_makes_a_private_ca_work(remote: GitOpsRemote, tmp_path: Path) -> None:
    cert, key = _certificate(tmp_path)
    with running_argocd(remote.bare, tls=(cert, key)) as fake:
        fake.add_app(APP, path=OVERLAY)
        assert fake.url.startswith("https://127.0.0.1:")

        with pytest.raises(ArgoCDError) as caught:
            ArgoCD(fake.url, fake.token, backoff=FAST_API).application(APP)
        assert "TLS verification of" in str(caught.value) and "--argocd-ca-bundle" in str(caught.value)

        trusted = ArgoCD(fake.url, fake.token, backoff=FAST_API, ca_bundle=str(cert))
        assert trusted.application(APP).health == "Healthy"
