#!/usr/bin/env bash
# verbs_runner_sweep.sh: runs fabricsim-hw --launch-local over the verbs transport for every
# collective algorithm (as `fabricsim schedule --list` names them) at each rank count, with
# --check (all-to-all: n times each size, whole blocks), and fails unless every run exits 0 reporting 0 wrong elements. Meant for the
# soft-RoCE VM (ctest verbs_vm); any extra arguments go to every fabricsim-hw run.
# Usage: verbs_runner_sweep.sh FABRICSIM_HW FABRICSIM "RANK COUNTS" SIZES [fabricsim-hw args...]
set -uo pipefail
hw=$1 cli=$2 rank_counts=$3 sizes=$4
shift 4
runs=0 failed=0
start=$SECONDS
pairs=$("$cli" schedule --list | awk '/^[a-z_]+:$/ { op = substr($1, 1, length($1) - 1); next }
                                     NF > 0 { print op ":" $1 }')
[ -n "$pairs" ] || { echo "verbs_runner_sweep: no algorithms listed by $cli" >&2; exit 1; }
for n in $rank_counts; do
  # Hierarchical algorithms: the smallest node size that splits n into several nodes.
  rpn=$n
  for ((d = 2; d < n; d++)); do
    if ((n % d == 0)); then rpn=$d; break; fi
  done
  for pair in $pairs; do
    op=${pair%%:*} algorithm=${pair#*:}
    # nvls needs in-network reduction (an NVLink switch): fabricsim-hw refuses it on verbs.
    [ "$algorithm" = nvls ] && continue
    op_sizes=$sizes
    # All-to-all sizes are the whole per-rank vector: n blocks of whole elements.
    if [ "$op" = alltoall ]; then
      op_sizes=$(tr ',' '\n' <<<"$sizes" | awk -v n="$n" '{ printf "%s%d", s, n * (int($1 / 4) > 0 ? int($1 / 4) : 1) * 4; s = "," }')
    fi
    extra=()
    case "$algorithm" in hierarchical*) extra=(--ranks-per-node "$rpn") ;; esac
    runs=$((runs + 1))
    if ! out=$("$hw" --launch-local "$n" --op "$op" --algorithm "$algorithm" --root $((n - 1)) \
        --sizes "$op_sizes" --iters 1 --warmup 0 --check "${extra[@]}" "$@" 2>&1) ||
        ! grep -q '^# 0 wrong element(s)$' <<<"$out"; then
      failed=$((failed + 1))
      echo "verbs_runner_sweep: FAILED: $n ranks $op $algorithm" >&2
      echo "$out" >&2
    fi
  done
done
echo "verbs_runner_sweep: $runs runs (every algorithm x ranks $rank_counts, sizes $sizes)," \
  "$failed failed, $((SECONDS - start)) s"
[ "$failed" -eq 0 ]
