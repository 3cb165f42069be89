#!/usr/bin/env bash
# The observability benchmarks of issue 16 (make bench-observe; part of
# make bench, not of make test or CI): ingest per CPU-second against the
# OpenTelemetry Collector, query latency over a day of Parquet on S3,
# bytes per million rows. docs/observability.md, "Benchmarks".
#
#   scripts/observe-bench.sh [observe-bench flags…]   e.g. -rounds 3 -protocols grpc
#
# Builds the two reference collectors with the Collector's builder (ocb)
# into .tools/otelcol/, once per version, and the benchmark into bin/;
# writes the report to .bench/observe-<date>.txt (ignored by git).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

# Pinned versions (issue 16). The nop reference is the newest release; the
# file reference is v0.161.0, the newest release of contrib's fileexporter
# known to resolve from the module proxy here, with the core modules of the
# same release.
NOP_VERSION=v0.165.0
FILE_VERSION=v0.161.0

log() { printf 'observe-bench: %s\n' "$*" >&2; }

apt_install() { # COMMAND PACKAGE
	command -v "$1" >/dev/null && return
	log "installing $2 (apt-get)"
	DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" >&2
}
apt_install taskset util-linux
apt_install redis-server redis-server
bash scripts/tools.sh run # versitygw

otelcol="$root/.tools/otelcol"

# builder VERSION: the Collector's builder (ocb) of that release.
builder() {
	local dir="$otelcol/builder-$1"
	if [[ ! -x "$dir/builder" ]]; then
		log "installing the OpenTelemetry Collector builder $1"
		GOBIN="$dir" GOFLAGS=-buildvcs=false go install "go.opentelemetry.io/collector/cmd/builder@$1" >&2
	fi
	echo "$dir/builder"
}

# collector NAME VERSION EXPORTER_MODULE: builds a collector of the OTLP
# receiver, the batch processor and that exporter, unless already built.
collector() {
	local name=$1 version=$2 exporter=$3 dir="$otelcol/$1-$2"
	if [[ ! -x "$dir/$name" ]]; then
		local ocb
		ocb="$(builder "$version")"
		log "building $name $version with the builder (a few minutes the first time)"
		mkdir -p "$dir"
		cat >"$dir/manifest.yaml" <<EOF
dist:
  name: $name
  description: OTLP receiver, batch processor and $(basename "${exporter%% *}") (Hearth's observe benchmark)
  output_path: $dir/build
receivers:
  - gomod: go.opentelemetry.io/collector/receiver/otlpreceiver $version
processors:
  - gomod: go.opentelemetry.io/collector/processor/batchprocessor $version
exporters:
  - gomod: $exporter $version
EOF
		# The builder runs go in its own module: not part of Hearth's workspace.
		(cd "$dir" && GOWORK=off GOFLAGS=-buildvcs=false "$ocb" --config manifest.yaml >build.log 2>&1) ||
			{ tail -30 "$dir/build.log" >&2; exit 1; }
		mv "$dir/build/$name" "$dir/$name"
		rm -rf "$dir/build"
	fi
	echo "$dir/$name"
}

nop="$(collector collector-nop "$NOP_VERSION" go.opentelemetry.io/collector/exporter/nopexporter)"
file="$(collector collector-file "$FILE_VERSION" github.com/open-telemetry/opentelemetry-collector-contrib/exporter/fileexporter)"

# make bench-observe builds bin/hearth first; HEARTH_BIN picks another build.
hearth="${HEARTH_BIN:-bin/hearth}"
[[ -x "$hearth" ]] || go build -o "$hearth" ./controlplane/cmd/hearth
go build -o bin/observe-bench ./controlplane/cmd/observe-bench

mkdir -p .bench
report=".bench/observe-$(date -u +%Y-%m-%d-%H%M).txt"
# The servers under test go to CPU 0; observe-bench pins itself (the load
# generator) and PostgreSQL, Redis and S3 to CPU 1 while it loads them.
bin/observe-bench -hearth "$hearth" \
	-collector-nop "$nop" -collector-nop-label "OpenTelemetry Collector $NOP_VERSION (ocb $NOP_VERSION: otlpreceiver, batchprocessor, nopexporter)" \
	-collector-file "$file" -collector-file-label "OpenTelemetry Collector $FILE_VERSION (ocb $FILE_VERSION: otlpreceiver, batchprocessor, contrib fileexporter, format proto)" \
	-label "$(git describe --tags --always --dirty 2>/dev/null || echo dev)" \
	-out "$report" "$@"
