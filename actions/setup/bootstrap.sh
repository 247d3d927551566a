#!/usr/bin/env bash
# Bootstrap for actions/setup (and the run step of the umbrella action.yml).
#
# This is the only logic that cannot live in the idp package, because it runs
# before idp exists. Every value arrives through the environment, never through
# `${{ }}` in a script.
#
#   key      choose the virtual environment for this runtime lock and this Python:
#            ${RUNNER_TOOL_CACHE}/idp-actions/venv/<key>, where <key> hashes the lock
#            file and the interpreter (a venv only works with the Python that made it)
#            in: IDP_PYTHON            out: key, venv, python-version
#   install  reuse that venv if it is complete, else build it (pip --require-hashes,
#            wheels only) beside it and move it into place, so a failed install
#            leaves nothing half-done; then put an `idp` launcher on PATH that runs
#            `python -m idp_actions` from this action's own checkout
#            in: IDP_PYTHON IDP_VENV IDP_KEY    out: idp-version, python-path
#   tools    `idp tools install` the names in IDP_TOOLS (spaces, commas or newlines)
#   run      `idp <IDP_COMMAND> <IDP_ARGS, one argument per line>` (umbrella action)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
lock="$here/../../requirements/runtime.lock"

die() {
  printf '::error title=idp-actions::%s\n' "$*"
  exit 1
}

output() {
  printf '%s=%s\n' "$1" "$2"
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"
  fi
}

cmd_key() {
  local python=${IDP_PYTHON:-}
  [ -n "$python" ] || python=$(command -v python3) \
    || die "no Python found: set up Python 3.11 or newer before this action"
  "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || die "idp needs Python 3.11 or newer, but $python is $("$python" -V 2>&1): set the python-version input"
  [ -f "$lock" ] || die "$lock is missing: this checkout of idp-actions is incomplete"
  [ -n "${RUNNER_TOOL_CACHE:-}" ] || die "RUNNER_TOOL_CACHE is not set: run this action in a GitHub Actions job"
  local ident key version
  ident=$("$python" -I -c '
import hashlib, os, platform, sys
digest = hashlib.sha256(open(sys.argv[1], "rb").read())
digest.update(f"\n{sys.implementation.name} {platform.python_version()} {platform.machine()} "
              f"{os.path.realpath(sys.executable)}".encode())
print(digest.hexdigest()[:16], platform.python_version())
' "$lock")
  read -r key version <<<"$ident"
  output key "$key"
  output venv "$RUNNER_TOOL_CACHE/idp-actions/venv/$key"
  output python "$python"
  output python-version "$version"
}

venv_complete() {
  [ "$(cat "$1/.idp-complete" 2>/dev/null || true)" = "$2" ] && "$1/bin/python" -c '' 2>/dev/null
}

cmd_install() {
  local python=${IDP_PYTHON:?} venv=${IDP_VENV:?} key=${IDP_KEY:?}
  if venv_complete "$venv" "$key"; then
    echo "idp-actions: reusing $venv"
  else
    local partial="$venv.partial-$$"
    rm -rf "$venv" "$partial"
    mkdir -p "$(dirname "$venv")"
    trap 'rm -rf "$partial"' EXIT
    echo "::group::idp-actions: installing requirements/runtime.lock into $venv"
    "$python" -m venv "$partial"
    if ! "$partial/bin/python" -m pip install --disable-pip-version-check --no-input --quiet \
      --only-binary=:all: --require-hashes -r "$lock"; then
      echo "::endgroup::"
      die "pip could not install requirements/runtime.lock (its message is above); nothing was left" \
        "behind. A runner without access to PyPI needs PIP_INDEX_URL or PIP_FIND_LINKS pointing at" \
        "a mirror that holds these wheels"
    fi
    printf '%s\n' "$key" >"$partial/.idp-complete"
    echo "::endgroup::"
    # rename(2) refuses a non-empty target: if another job on this runner won the
    # race, its complete venv stays and ours is dropped.
    if ! "$python" -I -c 'import os, sys; os.rename(sys.argv[1], sys.argv[2])' "$partial" "$venv" 2>/dev/null; then
      venv_complete "$venv" "$key" || die "could not move the new environment into $venv"
      rm -rf "$partial"
    fi
    trap - EXIT
  fi

  local bin="${RUNNER_TEMP:?}/idp-actions/bin"
  mkdir -p "$bin"
  # -P: never put the working directory (the caller's repository) on sys.path;
  # -s: no user site-packages. PYTHONPATH is this action's own src/ only, so the
  # code that runs is exactly the ref the caller pinned.
  {
    printf '#!/usr/bin/env bash\n'
    printf '# idp launcher written by idp-actions/actions/setup\n'
    printf 'export PYTHONPATH=%q\n' "$root/src"
    # Which repository this suite was installed from (a fork or mirror keeps its own
    # name): idp lint treats its references, pinned to release tags, as the suite's.
    if [[ ${IDP_SUITE:-} =~ ^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+$ ]]; then
      printf 'export IDP_SUITE_REPOSITORY=%q\n' "$IDP_SUITE"
    fi
    printf 'exec %q -P -s -m idp_actions "$@"\n' "$venv/bin/python"
  } >"$bin/idp.new"
  chmod +x "$bin/idp.new"
  mv -f "$bin/idp.new" "$bin/idp"
  if [ -n "${GITHUB_PATH:-}" ]; then
    printf '%s\n' "$bin" >>"$GITHUB_PATH"
  fi

  local version
  version=$("$bin/idp" --version) || die "the idp launcher in $bin does not run"
  version=${version#idp }
  echo "idp-actions: idp $version from $root"
  output idp-version "$version"
  output python-path "$venv/bin/python"
}

cmd_tools() {
  local -a names=() words=()
  local line word
  while IFS= read -r line || [ -n "$line" ]; do
    IFS=$' \t\r,' read -r -a words <<<"$line"
    for word in "${words[@]}"; do
      if [ -n "$word" ]; then
        names+=("$word")
      fi
    done
  done <<<"${IDP_TOOLS:-}"
  if [ "${#names[@]}" -eq 0 ]; then
    return 0
  fi
  # `--`: every word is a tool name, never an option (--manifest, --mirror, --help)
  idp tools install -- "${names[@]}"
}

cmd_run() {
  local -a command=() args=() lines=()
  local word line
  case "${IDP_COMMAND:-}" in
    *$'\n'*) die "input \`command\` must be one line, e.g. \`lint\` or \`policy check\`" ;;
  esac
  read -r -a command <<<"${IDP_COMMAND:-}"
  [ "${#command[@]}" -gt 0 ] || die "input \`command\` is required: the idp command to run, e.g. \`lint\`"
  for word in "${command[@]}"; do
    [[ $word =~ ^[a-z][a-z0-9-]*$ ]] \
      || die "input \`command\` takes command words only (e.g. \`policy check\`), got \`$IDP_COMMAND\`: put options in \`args\`, one per line"
  done
  # One argument per line, trimmed like @actions/core's getMultilineInput; blank
  # lines are skipped. Never split on spaces, never evaluated.
  mapfile -t lines <<<"${IDP_ARGS:-}"
  for line in "${lines[@]}"; do
    line=${line%$'\r'}
    line=${line#"${line%%[![:space:]]*}"}
    line=${line%"${line##*[![:space:]]}"}
    if [ -n "$line" ]; then
      args+=("$line")
    fi
  done
  # github-token defaults to the job's token; where there is none (act, a fork's
  # pull request) an empty GITHUB_TOKEN would only confuse the tools idp runs.
  if [ -z "${GITHUB_TOKEN:-}" ]; then
    unset GITHUB_TOKEN
  fi
  exec idp "${command[@]}" "${args[@]}"
}

case "${1:-}" in
  key) cmd_key ;;
  install) cmd_install ;;
  tools) cmd_tools ;;
  run) cmd_run ;;
  *) die "usage: bootstrap.sh key|install|tools|run (got \`${1:-}\`)" ;;
esac
