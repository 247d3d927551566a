"""Terraform and OpenTofu: plan on pull requests, apply exactly what was reviewed, detect drift.

Pure core: :mod:`.plan` (summarise and hash a plan), :mod:`.render` (Markdown),
:mod:`.record` (the hidden metadata of a reviewed plan), :mod:`.review` (may this
plan be applied?), :mod:`.roots` (which roots a change touches), :mod:`.version`
(which tool version a root wants), :mod:`.diagnostics` (the tool's error text).
Adapters: :mod:`.runner` (the ``tofu``/``terraform`` binary), :mod:`.pulls` (PR
comments and the pull request of a commit), :mod:`.drift` (one issue per root).
:mod:`.operations` puts them together for ``idp terraform``.
"""
