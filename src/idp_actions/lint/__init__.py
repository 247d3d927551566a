"""Workflow and action hygiene: our own rules plus zizmor, actionlint and shellcheck.

``documents`` finds and parses workflow and action files, ``rules`` holds the
pure checks, ``external`` runs the real linters and maps their output onto the
common :class:`~idp_actions.findings.Finding` model.
"""
