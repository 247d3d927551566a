"""The caller's ``.github/idp.yaml``: read once, checked against the published schema, defaults applied.

Every way the file can be wrong ends in a :class:`~idp_actions.errors.ConfigError`
that names the problem, where it is (file, line, key path such as
``gitops.environments[1].mode``) and what to do. Schema problems are collected
and reported together, sorted by line. PyYAML and jsonschema are imported only
when a file is actually read, so importing this package stays cheap.

:mod:`.loader` finds, reads and validates the file; :mod:`.document` and
:mod:`.builder` turn its text into data with the line of every key;
:mod:`.explain` and :mod:`.semantics` find what is wrong with it
(:mod:`.problems`); :mod:`.schemas` holds the schema and its defaults;
:mod:`.model` is the result.
"""

from __future__ import annotations

from idp_actions.config.builder import MAX_DEPTH, MAX_NODES
from idp_actions.config.loader import CANDIDATES, MAX_BYTES, display_path, find_config, load_config, parse_config
from idp_actions.config.model import Environment, IdpConfig, TerraformRoot, defaults
from idp_actions.config.problems import ConfigProblem, ConfigValidationError, Key, KeyPath, format_path
from idp_actions.config.schemas import SCHEMA_RESOURCE, schema, schema_text

__all__ = [
    "CANDIDATES",
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_NODES",
    "SCHEMA_RESOURCE",
    "ConfigProblem",
    "ConfigValidationError",
    "Environment",
    "IdpConfig",
    "Key",
    "KeyPath",
    "TerraformRoot",
    "defaults",
    "display_path",
    "find_config",
    "format_path",
    "load_config",
    "parse_config",
    "schema",
    "schema_text",
]
