#!/usr/bin/env bash
set -euo pipefail

# ruleid: idp.bash.curl-pipe-shell
curl -fsSL https://get.example.com/install.sh | bash
# ruleid: idp.bash.curl-pipe-shell
wget -qO- https://example.com/setup | sudo sh -s -- --yes
# ok: idp.bash.curl-pipe-shell
curl -fsSL -o install.sh https://get.example.com/install.sh
# ok: idp.bash.curl-pipe-shell
curl -fsSL https://example.com/data.json | jq .name
