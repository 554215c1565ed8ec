#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fuzzing: libFuzzer harnesses (ASan + UBSan) for lbctl's parsers of
# outside input, and xdp_fuzz for the XDP program (BPF_PROG_TEST_RUN).
#
#   fuzz/run.sh [quick]          every harness over its seed corpus, plus
#                                xdp_fuzz on 50,000 packets; TAP, < 60 s
#                                (what `make test` runs)
#   fuzz/run.sh long [SECONDS]   every harness for SECONDS (default 60),
#                                new inputs kept in build/fuzz/corpus/NAME,
#                                crashes saved in fuzz/crashes/ (and the
#                                harness started again for the time left);
#                                bugs listed in fuzz/known-bugs are not
#                                looked for; then xdp_fuzz on 1,000,000
#                                packets (frames that break the contract
#                                saved in fuzz/crashes/xdp/)
#   fuzz/run.sh coverage         line coverage of the code under test by
#                                the corpora (seeds + what long runs found)
#   fuzz/run.sh build            only build
#
# Environment: FUZZ_JOBS (harnesses run side by side in long mode, default
# the number of CPUs), XDP_SEED (default 1), CLANG (default clang-14).
# Reproduce a crash: build/fuzz/fuzz_NAME fuzz/crashes/NAME-crash-...
# (FUZZ_VERBOSE=1 to see lbctl's own messages too).
set -u
cd "$(dirname "$0")/.." || exit 1

MODE=${1:-quick}
SECS=${2:-60}
OUT=build/fuzz
CLANG=${CLANG:-clang-14}
JOBS=${FUZZ_JOBS:-$(nproc)}
XDP_SEED=${XDP_SEED:-1}
PKGS="libbpf libelf zlib libnl-3.0 libnl-route-3.0"

# shellcheck disable=SC2086
CFLAGS="-g -O1 -fno-omit-frame-pointer -std=gnu11 -Wall -Wextra -Wno-unused-parameter
	-D_GNU_SOURCE -Iheaders -Iuser -Ibuild -Ifuzz $(pkg-config --cflags $PKGS 2>/dev/null)"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all"
# shellcheck disable=SC2086
LIBS="$(pkg-config --libs $PKGS 2>/dev/null) -lm"

# harness: the user/*.c files it links (besides the harness itself)
declare -A SRCS=(
	[vrrp]="vrrp_codec"
	[vrrp_fsm]="vrrp_fsm vrrp_codec"
	[config]="cfg_lex cfg_parse cfg_util lb_addr log vrrp_fsm vrrp_codec"
	[http]="chk_http chk_md5 chk chk_tcp chk_misc evloop cfg_util log"
	[cli]="cmd_util lb_addr lb_maps maglev json log nl"
)
HARNESSES="vrrp vrrp_fsm config http cli"
XDP_SRCS="lb_loader lb_addr lb_maps maglev log"
# per-harness libFuzzer options
declare -A OPTS=(
	[vrrp]="-max_len=4200"
	[vrrp_fsm]="-max_len=8192"
	[config]="-max_len=16384 -dict=fuzz/config.dict"
	[http]="-max_len=4096 -dict=fuzz/http.dict"
	[cli]="-max_len=512 -dict=fuzz/cli.dict"
)

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

log() { echo "$@" >&2; }

# ---- build ----

HDRS="user/*.h headers/*.h fuzz/*.h build/lb.skel.h"

# stale OBJ SRC...: missing, or older than a source or any header
stale() {
	local obj=$1
	shift
	[ -e "$obj" ] || return 0
	# shellcheck disable=SC2086
	[ -n "$(find "$@" $HDRS -newer "$obj" 2>/dev/null | head -n 1)" ]
}

compile() {	# OBJ SRC EXTRA_FLAGS...
	local obj=$1 src=$2
	shift 2
	# shellcheck disable=SC2086
	$CLANG $CFLAGS "$@" -c "$src" -o "$obj" 2>"$obj.log" || { cat "$obj.log" >&2; return 1; }
}

build() {
	local pids=() failed=0 u h srcs objs o kind flags

	# the skeleton of the XDP program, through the Makefile's own rule
	make -s build/lb.skel.h >&2 || return 1
	mkdir -p "$OUT/obj-fuzz" "$OUT/obj-asan" fuzz/crashes
	# user/*.c, once with libFuzzer's coverage for the harnesses and once
	# without it for xdp_fuzz
	local fuzz_srcs asan_srcs
	fuzz_srcs=$(for h in $HARNESSES; do echo "${SRCS[$h]}"; done | tr ' ' '\n' | sort -u)
	asan_srcs=$XDP_SRCS
	for kind in fuzz asan; do
		if [ "$kind" = fuzz ]; then
			flags="$SAN -fsanitize=fuzzer-no-link"
			srcs=$fuzz_srcs
		else
			flags="$SAN"
			srcs=$asan_srcs
		fi
		for u in $srcs; do
			o="$OUT/obj-$kind/$u.o"
			stale "$o" "user/$u.c" || continue
			# shellcheck disable=SC2086
			compile "$o" "user/$u.c" $flags &
			pids+=($!)
			if [ ${#pids[@]} -ge "$JOBS" ]; then
				wait "${pids[0]}" || failed=1
				pids=("${pids[@]:1}")
			fi
		done
	done
	for h in $HARNESSES; do
		o="$OUT/obj-fuzz/fuzz_$h.o"
		stale "$o" "fuzz/fuzz_$h.c" user/*.c || continue
		# shellcheck disable=SC2086
		compile "$o" "fuzz/fuzz_$h.c" $SAN -fsanitize=fuzzer-no-link -Wno-unused-function &
		pids+=($!)
	done
	o="$OUT/obj-asan/xdp_fuzz.o"
	if stale "$o" fuzz/xdp_fuzz.c; then
		# shellcheck disable=SC2086
		compile "$o" fuzz/xdp_fuzz.c $SAN &
		pids+=($!)
	fi
	for u in "${pids[@]}"; do
		wait "$u" || failed=1
	done
	[ $failed = 0 ] || return 1

	for h in $HARNESSES; do
		objs="$OUT/obj-fuzz/fuzz_$h.o"
		for u in ${SRCS[$h]}; do
			objs="$objs $OUT/obj-fuzz/$u.o"
		done
		# shellcheck disable=SC2086
		if [ ! -e "$OUT/fuzz_$h" ] || [ -n "$(find $objs -newer "$OUT/fuzz_$h" | head -n 1)" ]; then
			# shellcheck disable=SC2086
			$CLANG $SAN -fsanitize=fuzzer -o "$OUT/fuzz_$h" $objs $LIBS || return 1
		fi
	done
	objs="$OUT/obj-asan/xdp_fuzz.o"
	for u in $XDP_SRCS; do
		objs="$objs $OUT/obj-asan/$u.o"
	done
	# shellcheck disable=SC2086
	if [ ! -e "$OUT/xdp_fuzz" ] || [ -n "$(find $objs -newer "$OUT/xdp_fuzz" | head -n 1)" ]; then
		# shellcheck disable=SC2086
		$CLANG $SAN -o "$OUT/xdp_fuzz" $objs $LIBS || return 1
	fi
	return 0
}

# ---- TAP ----

n=0
failures=0
ok() {		# STATUS(0 = ok) DESCRIPTION
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failures=$((failures + 1))
	fi
}
diag() { sed 's/^/# /'; }

# Number from libFuzzer's last "cov: N" / "ft: N" / "corp: N" in a log.
stat_of() {	# LOG KEY
	grep -Eo "$2: [0-9]+" "$1" | tail -n 1 | grep -Eo '[0-9]+' || echo "?"
}

# The crash report of a failed libFuzzer run: what broke, and the frames
# in lbctl's code and the harness.
crash_diag() {	# LOG
	grep -E "property violated|ERROR: |runtime error|SUMMARY|#[0-9]+ 0x[0-9a-f]+ in .* [^ ]*/(user|fuzz)/[^ /]+\.[ch]:" "$1" |
		sed -E 's/ \(BuildId: [0-9a-f]+\)//' | head -n 30 | diag
}

run_xdp() {	# COUNT [OPTIONS]
	local log="$OUT/logs/xdp_fuzz.log" rc
	if [ "$(id -u)" != 0 ]; then
		n=$((n + 1))
		echo "ok $n - xdp_fuzz # SKIP needs root (bpffs, BPF_PROG_TEST_RUN)"
		return
	fi
	# shellcheck disable=SC2086
	"$OUT/xdp_fuzz" --count "$1" --seed "$XDP_SEED" --corpus fuzz/corpus/xdp ${2:-} >"$log" 2>&1
	rc=$?
	sed -E 's/^([^#])/# \1/' "$log"	# its own TAP lines, as diagnostics
	ok $rc "xdp_fuzz: fuzz/corpus/xdp and $1 random and mutated packets through BPF_PROG_TEST_RUN, seed $XDP_SEED"
}

quick() {
	local h log rc files f bad
	mkdir -p "$OUT/logs" "$OUT/quick"
	for h in $HARNESSES; do
		log="$OUT/logs/quick-$h.log"
		files=$(find "fuzz/corpus/$h" -type f | wc -l)
		# shellcheck disable=SC2086
		"$OUT/fuzz_$h" ${OPTS[$h]} -runs=0 -artifact_prefix="$OUT/quick/$h-" \
			"fuzz/corpus/$h" >"$log" 2>&1 </dev/null
		rc=$?
		if [ $rc != 0 ]; then
			# libFuzzer stops at the first failure: name every failing input
			bad=0
			for f in fuzz/corpus/"$h"/*; do
				"$OUT/fuzz_$h" -artifact_prefix="$OUT/quick/$h-" "$f" \
					>"$log.one" 2>&1 </dev/null && continue
				bad=$((bad + 1))
				echo "$f:" | diag
				crash_diag "$log.one"
			done
			rm -f "$log.one"
			echo "$bad of $files corpus inputs fail" | diag
		fi
		ok $rc "fuzz_$h: $files corpus inputs (coverage $(stat_of "$log" cov) edges, $(stat_of "$log" ft) features)"
	done
	run_xdp 50000
}

# One harness for SECS seconds. libFuzzer stops at a crash (saved under
# fuzz/crashes/); it is started again for the time left, at most 5 times,
# with what it found so far. Writes LOG.sum: executions, coverage,
# features, corpus size, crashes.
fuzz_one() {	# HARNESS
	local h=$1 log="$OUT/logs/long-$1.log" start now left runs=0 crashes=0 execs=0 e
	start=$(date +%s)
	: >"$log"
	while :; do
		now=$(date +%s)
		left=$((SECS - (now - start)))
		if [ $left -le 0 ] || [ $runs -ge 6 ]; then
			break
		fi
		runs=$((runs + 1))
		# shellcheck disable=SC2086
		FUZZ_KNOWN=$KNOWN "$OUT/fuzz_$h" ${OPTS[$h]} -max_total_time=$left -timeout=10 \
			-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="fuzz/crashes/$h-" \
			"$OUT/corpus/$h" "fuzz/corpus/$h" >"$log.run" 2>&1 </dev/null ||
			crashes=$((crashes + 1))
		e=$(grep -Eo 'stat::number_of_executed_units: [0-9]+' "$log.run" | grep -Eo '[0-9]+$')
		execs=$((execs + ${e:-0}))
		cat "$log.run" >>"$log"
	done
	rm -f "$log.run"
	echo "$execs $(stat_of "$log" cov) $(stat_of "$log" ft) $(find "$OUT/corpus/$h" -type f | wc -l) $crashes" >"$log.sum"
}

long() {
	local h log pids=() k execs cov ft corp crashes
	mkdir -p "$OUT/logs"
	# known, reported bugs are not looked for again (see fuzz/known-bugs)
	KNOWN=$(grep -Eo '^[a-z0-9_]+' fuzz/known-bugs 2>/dev/null | paste -sd, -)
	log "fuzz: $SECS s per harness, $JOBS at a time; logs in $OUT/logs; known bugs: ${KNOWN:-none}"
	for h in $HARNESSES; do
		mkdir -p "$OUT/corpus/$h"
		fuzz_one "$h" &
		pids+=($!)
		if [ ${#pids[@]} -ge "$JOBS" ]; then
			wait "${pids[0]}"
			pids=("${pids[@]:1}")
		fi
	done
	for k in "${pids[@]}"; do
		wait "$k"
	done
	for h in $HARNESSES; do
		log="$OUT/logs/long-$h.log"
		read -r execs cov ft corp crashes <"$log.sum"
		echo "$execs executions in $SECS s ($((execs / SECS))/s), coverage $cov edges," \
		     "$ft features, corpus $corp inputs in $OUT/corpus/$h" | diag
		[ "$crashes" = 0 ] || crash_diag "$log"
		ok "$crashes" "fuzz_$h: $SECS s, $crashes crashes, leaks or broken properties"
	done
	run_xdp 1000000 "--save fuzz/crashes/xdp"
}

# Source-based coverage (clang's -fprofile-instr-generate) of the user/*.c
# files each harness exercises, over fuzz/corpus/NAME and build/fuzz/corpus/NAME.
coverage() {
	local h u srcs shown dir="$OUT/cov" known
	known=$(grep -Eo '^[a-z0-9_]+' fuzz/known-bugs 2>/dev/null | paste -sd, -)
	mkdir -p "$dir"
	for h in $HARNESSES; do
		srcs=""
		for u in ${SRCS[$h]}; do
			srcs="$srcs user/$u.c"
		done
		# shellcheck disable=SC2086
		$CLANG $CFLAGS -Wno-unused-function -fsanitize=fuzzer -fprofile-instr-generate \
			-fcoverage-mapping -o "$dir/fuzz_$h" "fuzz/fuzz_$h.c" $srcs $LIBS || return 1
		mkdir -p "$OUT/corpus/$h"
		FUZZ_KNOWN=$known LLVM_PROFILE_FILE="$dir/$h.profraw" "$dir/fuzz_$h" -runs=0 \
			"$OUT/corpus/$h" "fuzz/corpus/$h" >"$dir/$h.log" 2>&1 </dev/null
		ok $? "fuzz_$h: corpus of $(find "$OUT/corpus/$h" "fuzz/corpus/$h" -type f | wc -l) inputs"
		llvm-profdata-14 merge -sparse "$dir/$h.profraw" -o "$dir/$h.profdata" || return 1
		shown=$srcs
		# fuzz_cli.c includes these two for their static parsers
		[ "$h" = cli ] && shown="user/cmd_vip.c user/cmd_backend.c $srcs"
		# shellcheck disable=SC2086
		llvm-cov-14 report "$dir/fuzz_$h" -instr-profile="$dir/$h.profdata" $shown |
			sed -E 's/ {2,}/  /g' | diag
	done
}

case $MODE in
build)	build; exit $? ;;
coverage)
	coverage ;;
quick)	build || { echo "1..1"; echo "not ok 1 - build the fuzzers"; exit 1; }
	quick ;;
long)	build || { echo "1..1"; echo "not ok 1 - build the fuzzers"; exit 1; }
	long ;;
*)	echo "usage: $0 [quick | long [SECONDS] | build]" >&2; exit 2 ;;
esac
echo "1..$n"
[ $failures = 0 ]
