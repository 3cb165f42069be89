#!/usr/bin/env bash
# Builds the Kubernetes binaries the Kubernetes runner's tests run against
# (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubelet,
# kubectl) from source, at pinned versions, into a cache outside the
# checkout keyed by version: CI works in a fresh clone, so .tools/ starts
# empty there, while this cache (and Go's build cache) outlive it. Nothing
# prebuilt is downloaded: only Go modules, from the module proxy, checked
# against the checksum database. Idempotent: binaries already built at the
# pinned versions are left alone.
#
#   scripts/k8s-tools.sh          build what is missing, print the directory
#   scripts/k8s-tools.sh --dir    print the directory only (the test helpers)
#
# HEARTH_K8S_TOOLS overrides the cache directory
# (default: ${XDG_CACHE_HOME:-$HOME/.cache}/hearth/k8s-<versions>).
#
# Kubernetes is not `go install`able: k8s.io/kubernetes replaces its 33
# staging modules (k8s.io/api, client-go, ...) with directories of its own
# repository. A wrapper module requires it and replaces each staging module
# with the published copy of the same release (v0.X.Y for v1.X.Y), read from
# kubernetes' own go.mod, so only the version is pinned here.
set -euo pipefail

KUBERNETES_VERSION=v1.37.2
ETCD_VERSION=v3.6.16

log() { printf 'k8s-tools: %s\n' "$*" >&2; }

cache="${HEARTH_K8S_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/hearth/k8s-$KUBERNETES_VERSION-etcd-$ETCD_VERSION}"
bin="$cache/bin"
if [[ "${1:-}" == --dir ]]; then
	echo "$bin"
	exit 0
fi
mkdir -p "$bin"
export CGO_ENABLED=0 GOFLAGS=-buildvcs=false

kube_binaries=(kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl)

# build_kubernetes: the wrapper module, then each missing binary.
build_kubernetes() {
	local missing=()
	for b in "${kube_binaries[@]}"; do
		[[ -x "$bin/$b" ]] || missing+=("$b")
	done
	((${#missing[@]})) || return 0
	local mod="$cache/kubernetes-module"
	if [[ ! -f "$mod/go.sum" ]]; then
		log "preparing a wrapper module for k8s.io/kubernetes $KUBERNETES_VERSION"
		rm -rf "$mod"
		mkdir -p "$mod"
		local gomod
		gomod="$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p')"
		[[ -f "$gomod" ]] || { log "cannot read k8s.io/kubernetes@$KUBERNETES_VERSION's go.mod"; exit 1; }
		local staging="v0.${KUBERNETES_VERSION#v1.}"
		{
			printf 'module hearth.test/kubernetes-tools\n\ngo %s\n\n' "$(sed -n 's/^go //p' "$gomod")"
			printf 'require k8s.io/kubernetes %s\n\nreplace (\n' "$KUBERNETES_VERSION"
			grep -E '^\s*k8s\.io/[A-Za-z0-9._-]+ => \./staging/' "$gomod" |
				awk -v v="$staging" '{ printf "\t%s => %s %s\n", $1, $1, v }'
			printf ')\n'
		} >"$mod/go.mod"
		local count
		count="$(grep -c ' => k8s.io/' "$mod/go.mod")"
		((count > 20)) || { log "found only $count staging modules in kubernetes' go.mod"; exit 1; }
		printf '//go:build tools\n\n// Package tools pins what k8s-tools.sh builds.\npackage tools\n\nimport (\n' >"$mod/tools.go"
		for b in "${kube_binaries[@]}"; do
			printf '\t_ "k8s.io/kubernetes/cmd/%s"\n' "$b" >>"$mod/tools.go"
		done
		printf ')\n' >>"$mod/tools.go"
		(cd "$mod" && go mod tidy -e >&2)
	fi
	# The version the binaries report (nodes, kubectl's skew check), as
	# Kubernetes' own build stamps it; -s -w: no symbol tables.
	local minor="${KUBERNETES_VERSION#v1.}"
	minor="${minor%%.*}"
	local ldflags="-s -w"
	for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		ldflags+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
	done
	for b in "${missing[@]}"; do
		log "building $b $KUBERNETES_VERSION (several minutes the first time)"
		(cd "$mod" && go build -ldflags "$ldflags" -o "$bin/$b.tmp" "k8s.io/kubernetes/cmd/$b") && mv "$bin/$b.tmp" "$bin/$b"
	done
}

# build_etcd: a main calling etcdmain.Main is a whole etcd.
build_etcd() {
	[[ -x "$bin/etcd" ]] && return 0
	local mod="$cache/etcd-module"
	log "building etcd $ETCD_VERSION"
	rm -rf "$mod"
	mkdir -p "$mod"
	cat >"$mod/main.go" <<'EOF'
// Command etcd is etcd's server, built from its module.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
EOF
	(
		cd "$mod"
		go mod init hearth.test/etcd >&2
		go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >&2
		go mod tidy >&2
		go build -ldflags "-s -w" -o "$bin/etcd.tmp" .
	) && mv "$bin/etcd.tmp" "$bin/etcd"
}

build_etcd
build_kubernetes
echo "$bin"
