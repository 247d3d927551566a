"""One finding model for every scanner and policy check, rendered as SARIF and as Markdown.

Tool adapters turn their tool's output into :class:`Finding` objects
(:mod:`.model`); :mod:`.sarif` turns findings into what GitHub code scanning
reads (a SARIF 2.1.0 log, one run per tool, within GitHub's upload limits) and
:mod:`.markdown` into a summary for the step summary or a sticky PR comment.
"""

from __future__ import annotations

from idp_actions.findings.markdown import md_escape, summary_markdown
from idp_actions.findings.model import Finding, Severity, at_or_above, counts_by_severity, fingerprint
from idp_actions.findings.sarif import (
    FINGERPRINT_KEY,
    MAX_GZIPPED_BYTES,
    MAX_RESULTS_PER_RUN,
    MAX_RUNS_PER_FILE,
    SARIF_SCHEMA,
    SarifSize,
    ToolInfo,
    check_sarif_size,
    sarif_bytes,
    sarif_size,
    to_sarif,
)

__all__ = [
    "FINGERPRINT_KEY",
    "MAX_GZIPPED_BYTES",
    "MAX_RESULTS_PER_RUN",
    "MAX_RUNS_PER_FILE",
    "SARIF_SCHEMA",
    "Finding",
    "SarifSize",
    "Severity",
    "ToolInfo",
    "at_or_above",
    "check_sarif_size",
    "counts_by_severity",
    "fingerprint",
    "md_escape",
    "sarif_bytes",
    "sarif_size",
    "summary_markdown",
    "to_sarif",
]
