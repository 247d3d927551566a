"""Container images without a container runtime: Dockerfile → reproducible OCI image → registry, by digest.

Pure core: :mod:`~idp_actions.image.plan` (a Dockerfile read and checked),
:mod:`~idp_actions.image.recipe` (the plan over its base's configuration),
:mod:`~idp_actions.image.words` (variable expansion), :mod:`~idp_actions.image.ignore`
(``.dockerignore``), :mod:`~idp_actions.image.reference` (image names),
:mod:`~idp_actions.image.oci` (manifests, configurations, layout archives) and
:mod:`~idp_actions.image.auth` (credentials, challenges). Adapters:
:mod:`~idp_actions.image.layers` (the build context on disk into layers),
:mod:`~idp_actions.image.registry` (the distribution API), :mod:`~idp_actions.image.transport`
(HTTP with the registry's authentication) and
:mod:`~idp_actions.image.transfer` (pull a base, push an image).
:func:`idp_actions.image.build.build_and_push` puts them together.
"""
