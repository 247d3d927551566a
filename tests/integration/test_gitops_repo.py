"""The git adapter against a real bare repository: commits with trailers, rebase-and-retry pushes, no force."""

from __future__ import annotations

import random
import threading
from pathlib import Path

import pytest

from idp_actions.gitops.backoff import Backoff, Clock
from idp_actions.gitops.digest import Digest
from idp_actions.gitops.layout import Target, set_digest
from idp_actions.gitops.message import Change, commit_message, parse_trailers
from idp_actions.gitops.repo import GitError, GitRepo, PushConflict, auth_env, redact
from tests.fakes.gitops_repo import GitOpsRemote, digest

FAST = Backoff(attempts=15, base=0.01, cap=0.05)


class RecordingClock(Clock):
    def __init__(self) -> None:
        self.waits: list[float] = []
        super().__init__(sleep=self.waits.append, rng=random.Random(7))


@pytest.fixture
def remote(tmp_path: Path) -> GitOpsRemote:
    remote = GitOpsRemote(tmp_path / "remote")
    remote.seed([f"svc{i}" for i in range(10)])
    return remote


def promote_in_clone(remote: GitOpsRemote, dest: Path, service: str, new: str, run: str | None = None) -> GitRepo:
    repo = GitRepo.clone(remote.url, "main", dest)
    path = remote.overlay(service, "dev")
    edited = set_digest(repo.show(path) or "", Digest(new), Target(layout="kustomize", image=service))
    repo.write(path, edited.text)
    change = Change(
        service=service, environment="dev", digest=Digest(new), previous=edited.previous, path=path, source_run=run
    )
    assert repo.commit([path], commit_message(change)) is not None
    return repo


def test_commit_and_push_lands_one_commit_with_trailers(remote: GitOpsRemote, tmp_path: Path) -> None:
    before = remote.count()
    repo = promote_in_clone(remote, tmp_path / "clone", "svc0", digest(2))

    result = repo.push(backoff=FAST)

    assert result.commit == remote.head() and result.attempts == 1 and not result.rebased
    assert remote.count() == before + 1
    trailers = parse_trailers(remote.messages()[0])
    assert trailers["Idp-Service"] == "svc0" and trailers["Idp-Digest"] == digest(2)
    assert f"digest: {digest(2)}  # promoted by idp" in remote.show(remote.overlay("svc0", "dev"))


def test_nothing_to_commit_returns_none(remote: GitOpsRemote, tmp_path: Path) -> None:
    repo = GitRepo.clone(remote.url, "main", tmp_path / "clone")
    assert repo.commit(["README.md"], "no change") is None


def test_a_moved_branch_is_rebased_onto_and_pushed_after_a_jittered_wait(remote: GitOpsRemote, tmp_path: Path) -> None:
    repo = promote_in_clone(remote, tmp_path / "clone", "svc0", digest(2))
    other = remote.commit({remote.overlay("svc1", "dev"): "resources: [../../base]\n"}, "someone else")
    clock = RecordingClock()

    result = repo.push(backoff=FAST, clock=clock)

    assert result.attempts == 2 and result.rebased
    assert remote.contains(other) and remote.head() == result.commit
    assert len(clock.waits) == 1 and FAST.step(0) / 2 <= clock.waits[0] <= FAST.step(0)


def test_the_same_change_pushed_by_someone_else_leaves_nothing_to_push(remote: GitOpsRemote, tmp_path: Path) -> None:
    first = promote_in_clone(remote, tmp_path / "a", "svc0", digest(2), run="https://ci/runs/1")
    second = promote_in_clone(remote, tmp_path / "b", "svc0", digest(2), run="https://ci/runs/2")
    first.push(backoff=FAST)
    count = remote.count()

    result = second.push(backoff=FAST, clock=RecordingClock())

    assert result.commit is None and remote.count() == count


def test_a_conflicting_change_is_a_clean_error_and_nothing_is_forced(remote: GitOpsRemote, tmp_path: Path) -> None:
    first = promote_in_clone(remote, tmp_path / "a", "svc0", digest(2))
    second = promote_in_clone(remote, tmp_path / "b", "svc0", digest(3))
    landed = first.push(backoff=FAST).commit
    assert landed is not None

    with pytest.raises(PushConflict) as caught:
        second.push(backoff=FAST, clock=RecordingClock())

    assert caught.value.files == ("apps/svc0/overlays/dev/kustomization.yaml",)
    assert "conflicts with this one; nothing was pushed" in str(caught.value)
    assert remote.head() == landed
    assert digest(2) in remote.show(remote.overlay("svc0", "dev"))
    assert second.git("status", "--porcelain").stdout == ""  # the rebase was aborted, no half state


def test_ten_concurrent_pushes_of_different_services_all_land(remote: GitOpsRemote, tmp_path: Path) -> None:
    repos = [promote_in_clone(remote, tmp_path / f"c{i}", f"svc{i}", digest(100 + i)) for i in range(10)]
    start = remote.head()
    results: dict[int, object] = {}
    barrier = threading.Barrier(10)

    def push(i: int) -> None:
        barrier.wait()
        try:
            results[i] = repos[i].push(backoff=FAST)
        except Exception as exc:  # reported below
            results[i] = exc

    threads = [threading.Thread(target=push, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert all(not isinstance(r, Exception) for r in results.values()), results
    assert remote.count() == 1 + 10 and remote.contains(start)
    for i in range(10):
        assert f"digest: {digest(100 + i)}" in remote.show(remote.overlay(f"svc{i}", "dev"))


def test_retries_are_bounded(remote: GitOpsRemote, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = promote_in_clone(remote, tmp_path / "clone", "svc0", digest(2))
    clock = RecordingClock()
    rebase = repo._rebase_onto_remote
    moves = iter(range(100))

    def rebase_then_someone_pushes(branch: str) -> bool:  # the branch moves between our fetch and our push
        left = rebase(branch)
        remote.commit({f"noise/{next(moves)}.txt": "x\n"}, "noise")
        return left

    monkeypatch.setattr(repo, "_rebase_onto_remote", rebase_then_someone_pushes)
    remote.commit({"noise/first.txt": "x\n"}, "noise")
    with pytest.raises(GitError, match="after 3 attempts: the branch kept moving"):
        repo.push(backoff=Backoff(attempts=3, base=0.01, cap=0.02), clock=clock)
    assert len(clock.waits) == 2


def test_a_refused_push_that_is_not_a_race_fails_at_once(remote: GitOpsRemote, tmp_path: Path) -> None:
    repo = promote_in_clone(remote, tmp_path / "clone", "svc0", digest(2))
    hook = remote.bare / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'protected branch: pushes need a pull request' >&2\nexit 1\n")
    hook.chmod(0o755)

    with pytest.raises(GitError, match="protected branch"):
        repo.push(backoff=FAST, clock=RecordingClock())


def test_clone_errors_name_the_branch_and_never_the_token(tmp_path: Path) -> None:
    with pytest.raises(GitError) as caught:
        GitRepo.clone(str(tmp_path / "missing.git"), "main", tmp_path / "clone", token="ghs_secret")
    assert "cannot clone branch `main`" in str(caught.value) and "ghs_secret" not in str(caught.value)


def test_the_token_travels_as_a_scoped_header_in_the_environment() -> None:
    env = auth_env("https://github.com/acme/gitops.git", "ghs_abc")
    assert env["GIT_CONFIG_KEY_0"] == "http.https://github.com/.extraheader"
    assert env["GIT_CONFIG_VALUE_0"].startswith("AUTHORIZATION: basic ")
    assert "ghs_abc" not in env["GIT_CONFIG_VALUE_0"]  # base64 of x-access-token:TOKEN
    assert auth_env("/srv/gitops.git", "ghs_abc") == {}
    assert redact("https://user:tok@github.com/acme/gitops.git") == "https://github.com/acme/gitops.git"
