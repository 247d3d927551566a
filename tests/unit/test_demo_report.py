"""The golden path's report (pure): what a person reads after `scripts/demo`, as golden files."""

from __future__ import annotations

from pathlib import Path

from demo.report import FAILED, PASSED, SKIPPED, JobRecord, Outcome, StepRecord, html_page, markdown, terminal

from tests.conftest import assert_golden

GOLDEN = Path(__file__).parent / "golden" / "demo"
DIGEST = "sha256:" + "ab" * 32
ZERO = "sha256:" + "0" * 64


def outcome(*, failed: bool = False) -> Outcome:
    steps = [StepRecord("scaffold", "scaffold python-service", PASSED, 6.5, "53 files"),
             StepRecord("ci", "run its CI under act", FAILED if failed else PASSED, 40.25,
                        "jobs not successful: image" if failed else "6 jobs passed"),
             StepRecord("verify", "verify", SKIPPED if failed else PASSED, 0.0 if failed else 0.1, "")]
    jobs = [JobRecord("test", "success", "### ✅ Tests passed (python)\n"),
            JobRecord("image", "failure" if failed else "success", "")]
    done = Outcome(service="hello-api", steps=steps, jobs=jobs, findings={"policy check": "0 denied, 1 warning(s)"})
    if not failed:
        done.digest, done.image = DIGEST, f"127.0.0.1:5000/acme/hello-api@{DIGEST}"
        done.environments = {"dev": {"digest": DIGEST, "sync": "Synced", "health": "Healthy", "revision": "c0ffee" * 7},
                             "staging": {"digest": ZERO, "sync": "Synced", "health": "Healthy", "revision": "0" * 40}}
        done.notes = ["For act, the scaffolded ci.yml calls the reusable workflows by local path."]
    return done


def test_a_successful_run_reads_as_a_pipeline_with_digests_and_times() -> None:
    done = outcome()
    assert done.succeeded and abs(done.total_seconds - 46.85) < 1e-9
    text = markdown(done)
    assert_golden(GOLDEN / "success.md", text)
    assert "staging<br/>not promoted yet" in text and "| staging | not promoted yet |" in text
    assert_golden(GOLDEN / "success.txt", terminal(done))


def test_a_failed_run_says_where_it_stopped_and_what_was_skipped() -> None:
    done = outcome(failed=True)
    assert not done.succeeded
    text = markdown(done)
    assert "❌ The golden path stopped" in text and "| verify | ⏭️ skipped |" in text
    assert_golden(GOLDEN / "failure.md", text)


def test_the_html_page_escapes_what_it_shows() -> None:
    done = outcome()
    done.steps[0].detail = "<script>alert(1)</script>"
    page = html_page(done, markdown(done))
    assert "<script>" not in page and "&lt;script&gt;" in page and page.startswith("<!doctype html>")
