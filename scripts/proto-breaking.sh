#!/usr/bin/env bash
# Checks the node-agent protocol (proto/hearth/agent/v1) for breaking changes
# against the committed baseline image proto/agent-v1.binpb: agents of an
# older release must keep working with a newer control plane.
#
#   scripts/proto-breaking.sh          check (make check runs this)
#   scripts/proto-breaking.sh update   write a new baseline (at a release)
#
# The repo's buf.yaml is a two-module workspace, which `buf breaking` cannot
# compare with a single image, so the agent protos are copied into a
# one-module directory first (they import only well-known types).
set -euo pipefail
cd "$(dirname "$0")/.."
baseline=proto/agent-v1.binpb
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/hearth/agent"
cp -r proto/hearth/agent/v1 "$work/hearth/agent/"
printf 'version: v2\nbreaking:\n  use:\n    - FILE\n' >"$work/buf.yaml"
case "${1:-check}" in
update)
	(cd "$work" && buf build -o "$OLDPWD/$baseline")
	echo "wrote $baseline"
	;;
check)
	(cd "$work" && buf breaking --against "$OLDPWD/$baseline")
	;;
*)
	echo "usage: $0 [check|update]" >&2
	exit 2
	;;
esac
