#!/usr/bin/env bash
set -euo pipefail

deploy() {
  local cmd=$1
  # ruleid: idp.bash.eval-variable
  eval "$cmd"
  # ruleid: idp.bash.eval-variable
  eval "kubectl apply -f ${2}"
  # ok: idp.bash.eval-variable
  eval 'echo done'
}

deploy "$@"
