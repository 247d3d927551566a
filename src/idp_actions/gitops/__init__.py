"""Promotion by GitOps: an image digest written into an environment's overlay, verified in Argo CD.

Pure core: :mod:`.digest` (what may be promoted), :mod:`.settings` (the
``gitops`` section of ``.github/idp.yaml``), :mod:`.layout` (kustomize and Helm
edits that keep comments), :mod:`.message` (commit trailers, PR body, summary),
:mod:`.wait` (the verification state machine), :mod:`.dora` (metrics).
Adapters: :mod:`.repo` (git), :mod:`.argocd` (Argo CD's REST API),
:mod:`.deployments` (GitHub Deployments). :mod:`.promotion` and :mod:`.rollback`
put them together for ``idp promote`` and ``idp rollback``.
"""
