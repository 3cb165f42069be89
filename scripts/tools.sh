#!/usr/bin/env bash
# Installs the pinned tools Hearth's build and tests need into .tools/
# (ignored by git, cached between runs). Idempotent: a tool whose pinned
# version is already installed is left alone.
#
#   scripts/tools.sh [all|run|test|generate|lint|console]
#
# run: what `make run` needs (the S3 server); test: what `make test` needs
# (redis-server from apt, the S3 server, the console's npm packages);
# generate: buf and the protoc plugins (protoc-gen-es is one of the
# console's npm packages), sqlc; lint: buf and golangci-lint; console: the
# console's npm packages (console/node_modules, from package-lock.json).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
tools="$root/.tools"
bin="$tools/bin"
mkdir -p "$bin"

# Pinned versions. Change a version here and the next run installs it.
BUF_VERSION=1.75.0
PROTOC_GEN_GO_VERSION=v1.36.12
PROTOC_GEN_CONNECT_GO_VERSION=v1.21.1
PROTOC_GEN_OPENAPI_VERSION=v0.7.1
SQLC_VERSION=v1.31.1
GOLANGCI_LINT_VERSION=v2.15.0
VERSITYGW_VERSION=v1.8.0

log() { printf 'tools: %s\n' "$*" >&2; }

# go_tool NAME PACKAGE VERSION: go install PACKAGE@VERSION as .tools/bin/NAME,
# remembering the version in .tools/bin/NAME.version.
go_tool() {
	local name=$1 pkg=$2 version=$3
	if [[ -x "$bin/$name" && "$(cat "$bin/$name.version" 2>/dev/null)" == "$version" ]]; then
		return
	fi
	log "installing $name $version (go install $pkg@$version)"
	local tmp
	tmp="$(mktemp -d)"
	GOBIN="$tmp" GOFLAGS=-buildvcs=false go install "$pkg@$version"
	mv "$tmp"/* "$bin/$name" # the one binary go install built
	rmdir "$tmp"
	echo "$version" >"$bin/$name.version"
}

install_buf() {
	if [[ -x "$bin/buf" && "$(cat "$bin/buf.version" 2>/dev/null)" == "$BUF_VERSION" ]]; then
		return
	fi
	log "installing buf $BUF_VERSION (npm @bufbuild/buf)"
	command -v npm >/dev/null || { log "npm is missing: apt-get install -y nodejs npm"; exit 1; }
	npm install --silent --no-audit --no-fund --prefix "$tools/npm" "@bufbuild/buf@$BUF_VERSION" >&2
	ln -sf "$tools/npm/node_modules/.bin/buf" "$bin/buf"
	echo "$BUF_VERSION" >"$bin/buf.version"
}

# apt_package BINARY PACKAGE: installs a Debian package when BINARY is missing.
apt_package() {
	command -v "$1" >/dev/null && return
	apt_install "$1" "$2"
}

# apt_file PATH PACKAGE: installs a Debian package when PATH is missing
# (packages whose files are not commands on PATH).
apt_file() {
	[[ -e "$1" ]] && return
	apt_install "$1" "$2"
}

# apt_install WHAT PACKAGE: installs PACKAGE (as root), else fails saying
# what is missing and the command that installs it.
apt_install() {
	local what=$1 package=$2
	if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
		log "$what is missing: run 'sudo apt-get install -y $package'"
		exit 1
	fi
	log "installing $package (apt-get)"
	if [[ ! -f "$tools/apt-updated" ]]; then
		DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
		touch "$tools/apt-updated"
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$package" >&2
}

# kube_tools: what the kubernetes runner's tests run: the Kubernetes
# binaries built from source (scripts/k8s-tools.sh, cached outside the
# checkout) and, for a real node, containerd, runc, the CNI plugins, a
# static busybox for the test images and iproute2 (the test namespace's
# interfaces).
kube_tools() {
	bash "$root/scripts/k8s-tools.sh" >/dev/null
	apt_package containerd containerd
	apt_package runc runc
	apt_file /usr/lib/cni/bridge containernetworking-plugins
	apt_file /bin/busybox busybox-static
	apt_package ip iproute2
}

# console_deps: `npm ci` in console/ unless node_modules already matches
# package-lock.json (a hash of the lock file is kept beside the packages).
console_deps() {
	local dir="$root/console" stamp="$root/console/node_modules/.hearth-lock.sha256" want
	command -v npm >/dev/null || { log "npm is missing: apt-get install -y nodejs npm"; exit 1; }
	want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
	if [[ -d "$dir/node_modules" && "$(cat "$stamp" 2>/dev/null)" == "$want" ]]; then
		return
	fi
	log "installing the console's npm packages (npm ci in console/)"
	(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
	echo "$want" >"$stamp"
}

s3_tools() {
	go_tool versitygw github.com/versity/versitygw/cmd/versitygw "$VERSITYGW_VERSION"
}

test_tools() {
	apt_package redis-server redis-server
	apt_package chromium chromium # the console's browser tests (playwright-core drives it)
	s3_tools
	kube_tools
	console_deps
}

generate_tools() {
	install_buf
	console_deps # protoc-gen-es
	go_tool protoc-gen-go google.golang.org/protobuf/cmd/protoc-gen-go "$PROTOC_GEN_GO_VERSION"
	go_tool protoc-gen-connect-go connectrpc.com/connect/cmd/protoc-gen-connect-go "$PROTOC_GEN_CONNECT_GO_VERSION"
	go_tool protoc-gen-openapi github.com/google/gnostic/cmd/protoc-gen-openapi "$PROTOC_GEN_OPENAPI_VERSION"
	go_tool sqlc github.com/sqlc-dev/sqlc/cmd/sqlc "$SQLC_VERSION"
}

lint_tools() {
	install_buf
	go_tool golangci-lint github.com/golangci/golangci-lint/v2/cmd/golangci-lint "$GOLANGCI_LINT_VERSION"
}

case "${1:-all}" in
run) s3_tools ;;
test) test_tools ;;
generate) generate_tools ;;
lint) lint_tools ;;
console) console_deps ;;
all) test_tools; generate_tools; lint_tools ;;
*) log "unknown tool set '$1' (want all, run, test, generate, lint or console)"; exit 2 ;;
esac
