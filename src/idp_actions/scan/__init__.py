"""Security scanning: Semgrep and Trivy into one finding model, with gates people can read.

The pure core decides and renders; thin adapters run the tools:

- :mod:`.settings` — what to scan and how to gate, parsed once at the edge
  (:class:`ScanSettings`); strict severity names; where the org rule pack is.
- :mod:`.semgrep`, :mod:`.trivy` — adapters: build the command line, run the real
  tool through :mod:`idp_actions.proc`, parse its JSON into
  :class:`~idp_actions.findings.Finding` objects. A tool that is missing or fails
  raises :class:`~idp_actions.errors.ToolError` naming the tool.
- :mod:`.runner` — runs the independent scans in parallel and never lets a failed
  tool pass silently.
- :mod:`.ignores` — ``.github/idp-scan-ignore.yaml`` (id, path glob, reason,
  expiry); expired entries fail the scan.
- :mod:`.baseline` — pull-request mode: the base commit (fetched into shallow
  clones), Semgrep's ``--baseline-commit``, Trivy's result at the base, changed lines.
- :mod:`.gate` — the verdict: severity threshold, ``ignore-unfixed``, new-only.
- :mod:`.report` — SARIF (one run per tool), JSON, step summary, PR comment, annotations.
"""

from __future__ import annotations
