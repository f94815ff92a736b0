#!/usr/bin/env bash
# verbs_vm_suite.sh: what ctest verbs_vm runs inside the soft-RoCE VM (tests/hw/softroce_vm.sh),
# given the folder of the built binaries. Three parts, each must pass:
#  1. test_verbs_device: the transport's mechanisms and errors on rxe0;
#  2. verbs_driver: every algorithm of every collective on 2, 3 and 4 ranks (threads) at 1, 1001
#     and 65539 elements, messages split at 8000 bytes, byte-exact; then on rxe_lo (explicit
#     GID index) 4 ranks, 3 channels, 512-byte slices and only 2 clear-to-sends per peer;
#  3. verbs_runner_sweep.sh: fabricsim-hw --launch-local 3 --transport verbs --check (ranks as
#     processes, TCP bootstrap) for every algorithm at 4, 4004 and 262156 bytes;
#  4. a rank killed mid-run (fabricsim-hw's hidden --test-die-rank): every other rank exits 1
#     with a verbs error (its 3 s timeout or a failed work request) within 30 s, and the
#     launcher reports the killed rank.
# Usage: verbs_vm_suite.sh BIN_DIR [RUNNER_RANK_COUNTS (default "3")]
set -euo pipefail
bin=$1
runner_ranks=${2:-3}
here=$(dirname "$(realpath "$0")")
start=$SECONDS
"$bin/test_verbs_device" --use-colour no
"$bin/verbs_driver" --device rxe0 --ranks 2,3,4 --counts 1,1001,65539 \
  --max-message-bytes 8000 --timeout-ms 20000
"$bin/verbs_driver" --device rxe_lo --gid-index 1 --ranks 4 --counts 4099 --channels 3 \
  --slice-bytes 512 --max-outstanding-recvs 2 --timeout-ms 20000
"$here/verbs_runner_sweep.sh" "$bin/fabricsim-hw" "$bin/fabricsim" "$runner_ranks" \
  4,4004,262156 --transport verbs --device rxe0 --timeout 20s
died=$SECONDS
set +e
kill_out=$("$bin/fabricsim-hw" --launch-local 4 --transport verbs --device rxe0 --op allreduce \
  --algorithm ring --sizes 256KiB --iters 1000000 --warmup 0 --timeout 3s \
  --test-die-rank 2 --test-die-after 2s 2>&1)
kill_status=$?
set -e
echo "$kill_out" | grep -v '^#'
kill_ok=1
[ "$kill_status" -eq 1 ] || kill_ok=0
grep -q "rank 2 was killed by signal 9" <<<"$kill_out" || kill_ok=0
for r in 0 1 3; do
  # A survivor learns of the death by its timeout, or sooner by a failed work request (an
  # RDMA write into the dead rank's memory can complete with a remote access error).
  grep -q "rank $r: error: verbs: rank $r: " <<<"$kill_out" || kill_ok=0
  grep -q "rank $r exited with status 1" <<<"$kill_out" || kill_ok=0
done
# 2 s until the death, 3 s of timeout, the rest is start-up and slack in the emulated VM.
[ $((SECONDS - died)) -le 30 ] || kill_ok=0
if [ "$kill_ok" -ne 1 ]; then
  echo "verbs_vm_suite: FAILED: killing rank 2 did not make every other rank fail as expected" >&2
  exit 1
fi
echo "verbs_vm_suite: rank 2 killed: ranks 0, 1, 3 failed with a verbs error ($((SECONDS - died)) s in all)"
echo "verbs_vm_suite: all parts passed in $((SECONDS - start)) s"
