"""Scaffolding: services born compliant, and kept in step with their template.

The pure core reads a template's manifest (:mod:`.manifest`), checks a request
against it (:mod:`.request`) and decides what the GitOps repository must hold
for a new service (:mod:`.registration`) and what a Backstage Software Template
looks like (:mod:`.backstage`). The imperative shell renders with copier in
Jinja2's sandbox (:mod:`.render`, :mod:`.source`), runs the real checks over
the result (:mod:`.selfcheck`), creates and fills the repository all or nothing
(:mod:`.publish`, :mod:`.git`, :mod:`.hub`) and brings an existing repository up
to a newer template version by pull request (:mod:`.update`).
"""
