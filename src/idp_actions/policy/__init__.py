"""Policy as code: one library of Gatekeeper ConstraintTemplates and conftest-style Rego, run on real OPA.

The pure core parses inputs (:mod:`.documents`, :mod:`.dockerfile`), reads the
library and its policy sets (:mod:`.library`, :mod:`.gatekeeper`), decides which
constraint applies to which object (:mod:`.match`), writes the Rego that drives one
batched evaluation per kind of input (:mod:`.kubernetes`, :mod:`.conftest_style`)
and turns results into findings and reports (:mod:`.exceptions`, :mod:`.report`).
:mod:`.opa` is the adapter that runs ``opa eval``; :mod:`.engine` ties it together.
"""
