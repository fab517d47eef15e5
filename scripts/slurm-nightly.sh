#!/bin/bash
# Nightly parity on a Slurm cluster: a job array of N shards of a suite, then one merge job that
# runs after every shard has finished (README, "Nightly parity in CI").
#
# Usage (from the repository root, with `npm ci && npm run build` done and your C in place:
# golden_suite_generator/nanoBragg.c or NANOBRAGG_C=/path/to/nanoBragg.c):
#
#   scripts/slurm-nightly.sh                 # submit: nightly, 3 shards
#   SHARDS=6 SUITE=nightly LEDGER=$HOME/parity/ledger.csv scripts/slurm-nightly.sh
#   FAIL_ON_DRIFT=1 scripts/slurm-nightly.sh # the merge job exits 1 on flagged drift
#
# Submitted without arguments, it submits itself twice: as the array (`--array=1-$SHARDS`,
# each task runs `nbparity suite $SUITE --shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT`
# into $RUN_DIR/shards) and as the merge (`--dependency=afterany:<array>`, so it runs even when
# a shard fails, and then refuses the partial merge with exit 2). The ledger is a plain file on
# shared storage ($LEDGER): shards only read it (past wall times balance the split), the merge
# appends once. Logs: $RUN_DIR/slurm-*.out. Exit of the merge job: nbparity merge's.
#SBATCH --job-name=nbparity-nightly
#SBATCH --array=1-3
#SBATCH --cpus-per-task=2
#SBATCH --time=02:00:00
#SBATCH --output=slurm-%x-%A_%a.out
set -euo pipefail

SUITE=${SUITE:-nightly}
SHARDS=${SHARDS:-3}
REPO=${REPO:-${SLURM_SUBMIT_DIR:-$(cd "$(dirname "$0")/.." && pwd)}}
LEDGER=${LEDGER:-$REPO/reports/ledger.csv}
RUN_DIR=${RUN_DIR:-$REPO/reports/slurm/${SUITE}-$(date -u +%Y%m%dT%H%M%SZ)}
NBPARITY=(node "$REPO/dist/harness/cli.js")

case "${1:-submit}" in
  submit)
    mkdir -p "$RUN_DIR"
    export SUITE SHARDS REPO LEDGER RUN_DIR
    array=$(sbatch --parsable --array=1-"$SHARDS" --chdir="$REPO" --export=ALL \
      --output="$RUN_DIR/slurm-shard-%a.out" "$0" shard)
    array=${array%%;*}
    merge=$(sbatch --parsable --dependency=afterany:"$array" --array=1 --cpus-per-task=1 --time=00:30:00 \
      --job-name=nbparity-merge --chdir="$REPO" --export=ALL --output="$RUN_DIR/slurm-merge.out" "$0" merge)
    echo "submitted shards $array (1-$SHARDS) and merge $merge; report under $RUN_DIR/merged"
    ;;
  shard)
    : "${SLURM_ARRAY_TASK_ID:?run as a Slurm array task (scripts/slurm-nightly.sh submits it)}"
    n=${SLURM_ARRAY_TASK_COUNT:-$SHARDS}
    set +e
    "${NBPARITY[@]}" suite "$SUITE" --shard "$SLURM_ARRAY_TASK_ID/$n" --live \
      --concurrency "${SLURM_CPUS_PER_TASK:-1}" --ledger "$LEDGER" --reports "$RUN_DIR/shards"
    code=$?
    set -e
    # a gate failure (1) is judged by the merge; a shard that could not run fails its task
    if [ "$code" -ge 2 ]; then exit "$code"; fi
    ;;
  merge)
    dirs=$(ls -d "$RUN_DIR"/shards/"$SUITE"-shard*of"$SHARDS"/*/ 2>/dev/null || true)
    # shellcheck disable=SC2086
    exec "${NBPARITY[@]}" merge $dirs --reports "$RUN_DIR/merged" --ledger "$LEDGER" \
      ${FAIL_ON_DRIFT:+--fail-on-drift}
    ;;
  *)
    echo "usage: $0 [submit|shard|merge]" >&2
    exit 2
    ;;
esac
