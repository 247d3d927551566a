"""Stateful fakes of remote services that cannot run here (GitHub's REST API).

See :mod:`tests.fakes.github_server` for how to start the GitHub fake, seed its
state, inject faults and read its record of requests; every response it gives
is checked against GitHub's OpenAPI description (:mod:`tests.fakes.openapi`).
"""
