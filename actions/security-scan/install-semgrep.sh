#!/usr/bin/env bash
# Installs Semgrep (distributed on PyPI only) into its own virtual environment in the
# runner's tool cache, keyed by version, and puts it on PATH. A self-hosted runner
# whose tool cache persists reuses it. Values arrive through the environment only.
#   in: SEMGREP_VERSION, IDP_PYTHON (idp's interpreter from actions/setup), RUNNER_TOOL_CACHE
set -euo pipefail

version=${SEMGREP_VERSION:?SEMGREP_VERSION is not set}
python=${IDP_PYTHON:-python3}
case $version in
  *[!0-9.]* | "")
    # Quoted in a workflow command, escaped as the runner reads one: a newline in the value cannot
    # start a command of its own (::add-mask::, ::set-output …).
    shown=${version//'%'/%25}
    shown=${shown//$'\r'/%0D}
    shown=${shown//$'\n'/%0A}
    echo "::error title=idp-actions::semgrep-version must look like 1.185.0, got '$shown'"
    exit 1
    ;;
esac
dir="${RUNNER_TOOL_CACHE:?RUNNER_TOOL_CACHE is not set}/idp-actions/semgrep/$version"
if [ ! -f "$dir/.idp-complete" ]; then
  rm -rf "$dir"
  "$python" -m venv "$dir"
  "$dir/bin/python" -m pip install --disable-pip-version-check --no-input --only-binary=:all: \
    "semgrep==$version"
  touch "$dir/.idp-complete"
fi
echo "$dir/bin" >>"$GITHUB_PATH"
"$dir/bin/semgrep" --version
