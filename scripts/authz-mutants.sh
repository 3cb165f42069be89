#!/usr/bin/env bash
# Mutation check of authorization: in a scratch copy of the working tree,
# remove each authorization decision in turn and expect the authorization
# tables (controlplane/internal/server/authz_table_test.go and
# http_authz_table_test.go) to notice. Prints the survivors; exits 1 if any.
#
# scripts/authzmutants plants every mutant at once, each behind a switch
# (controlplane/internal/mutant), so the copy compiles once and one test
# process (TestAuthorizationMutants, scripts/authzmutants/
# authz_mutants_test.go.in copied into the server package) runs the tables
# once per mutant. The few code sites no table row can reach (a worker, a
# merge rule about third parties) are covered by their own package's test,
# run here with HEARTH_AUTHZ_MUTANT set (see extra_tests).
#
# Needs what `make test` needs (bash scripts/tools.sh test). The checkout is
# never modified.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
export PATH="$root/.tools/bin:$PATH"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/authz-mutants.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s)

# The working tree as it is (tracked and new files, not ignored ones).
if git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$root" && git ls-files -z -co --exclude-standard |
		tar --null --ignore-failed-read -T - -cf -) | tar -xf - -C "$tmp"
else
	(cd "$root" && tar --exclude=./.git --exclude=./.tools --exclude=node_modules -cf - .) | tar -xf - -C "$tmp"
fi

echo "== planting mutants in $tmp"
(cd "$root/scripts/authzmutants" && GOWORK=off go run . -root "$tmp")
# The test that drives them imports what was just planted, so it lives
# outside the package in the checkout (go mod tidy reads every build tag).
cp "$root/scripts/authzmutants/authz_mutants_test.go.in" "$tmp/controlplane/internal/server/authz_mutants_test.go"

# extra_tests: code sites (file, and a word of the mutated call) whose
# decision no request of the tables reaches, and the test that covers it.
extra_tests=(
	"controlplane/internal/pipeline/schedule.go|Authorize|./internal/pipeline/|TestScheduleStopsWhenItsOwnerLosesAccess"
	"controlplane/internal/project/merge_requests.go|Authorize|./internal/project/|TestMergeRequestApprovalsOfFormerMembers"
	"controlplane/internal/notify/fanout.go|Authorize|./internal/notify/|TestWhoReceivesWhat"
	# OTLP and remote-write ingest are plain HTTP, and forwarded telemetry
	# is decided after the agent gateway's own authentication.
	"controlplane/internal/observe/ingest.go|Authorize|./internal/observe/|TestTenancy"
	"controlplane/internal/observe/ingest.go|AuthErrorFrom|./internal/observe/|TestTenancy"
)

echo "== running the tables against each mutant"
survivors="$tmp/survivors"
elsewhere=""
for e in "${extra_tests[@]}"; do elsewhere+="${e%%|*} "; done
cd "$tmp/controlplane"
status=0
AUTHZ_SURVIVORS="$survivors" AUTHZ_ELSEWHERE="$elsewhere" go test -tags authzmutants -count=1 -timeout 40m \
	-run '^TestAuthorizationMutants$' -v ./internal/server/ >"$tmp/mutants.log" 2>&1 || status=$?
grep -E '^\s+authz_mutants_test.go:[0-9]+: (killed|SURVIVED|left to|reseeding|[0-9]+ mutants)|^\s+ by |the tables fail|^(ok|FAIL|---)' "$tmp/mutants.log" |
	grep -v '"level"' || true
if [[ ! -f "$survivors" ]]; then
	tail -50 "$tmp/mutants.log"
	echo "authz-mutants: the mutation test did not finish (exit $status)" >&2
	exit 1
fi

left=()
while IFS=$'\t' read -r id where what || [[ -n "$id" ]]; do
	[[ -n "$id" ]] || continue
	covered=""
	for e in "${extra_tests[@]}"; do
		IFS='|' read -r file word pkg test <<<"$e"
		if [[ "$where" == "$file:"* && "$what" == *"$word"* ]]; then
			echo "== #$id $where: running $test with the mutant on"
			if HEARTH_AUTHZ_MUTANT="$id" go test -count=1 -run "^$test\$" "$pkg" >"$tmp/extra.log" 2>&1; then
				echo "   $test passed: the mutant survives"
			else
				echo "   killed by $test"
				covered=yes
			fi
		fi
	done
	[[ -n "$covered" ]] || left+=("#$id $where $what")
done <"$survivors"

echo "== $(( $(date +%s) - start )) s"
if ((${#left[@]} > 0)); then
	echo "authz-mutants: ${#left[@]} mutant(s) survived:" >&2
	printf '  %s\n' "${left[@]}" >&2
	exit 1
fi
if ((status != 0)); then
	echo "authz-mutants: the mutation test failed (rule mutants survived, or the tables fail without mutants)" >&2
	exit 1
fi
echo "authz-mutants: no survivors"
