"""Policy as code: one library of Gatekeeper ConstraintTemplates and conftest-style Rego, run on real OPA.

The pure core parses inputs (:mod:`.inputs`, :mod:`.documents`, :mod:`.dockerfile`),
reads the library, the caller's own policies and the policy sets (:mod:`.library`,
:mod:`.gatekeeper`, :mod:`.parameters`, :mod:`.sets`), decides which constraint
applies to which object (:mod:`.match`), writes the Rego that drives one batched
evaluation per kind of input (:mod:`.kubernetes`, :mod:`.conftest_style`) and turns
results into findings and reports (:mod:`.exceptions`, :mod:`.report`). The
adapters run the tools: :mod:`.opa` (``opa eval``), :mod:`.render` (``kustomize
build``, ``helm template``), :mod:`.verify` (``idp policy test``) and
:mod:`.bundle` (``idp policy bundle``); :mod:`.engine` ties a check together.
"""
