#!/usr/bin/env bash
# Every training run of the Sentiment tab at once on one GPU (device auto-detected; it also runs,
# slowly, on CPU): CNN-rand, CNN-non-static, CNN-non-static and CNN-multichannel with 20k extra
# words ("-xv"), and the BiLSTM; SST-2 (fp16 checkpoints) and MR 10-fold CV for each. All accuracies go to
# $OUT/classifier_results.json, the logs to $OUT/gpu_train.log. Each run is cut at LIMIT_S seconds
# (MR CV records its folds as they finish, so a cut run still reports the folds it did).
#
#   bash export/classifier/gpu_train.sh --data-dir .gpu_data [--smoke]
# .gpu_data holds sst2/, mr/ and vectors.safetensors, written by
#   python -m export.classifier.vectors --vectors weights/word2vec/model.onnx --out .gpu_data/vectors.safetensors
# Back here: python -m export.classifier.train --from-checkpoint $OUT/cnn-non-static.safetensors \
#   --results results/classifier_results.json --out weights/sentiment-cnn
set -uo pipefail
DATA=.gpu_data
SMOKE=()
while [ $# -gt 0 ]; do
  case $1 in
    --data-dir) DATA=$2; shift 2 ;;
    --smoke) SMOKE=(--limit 300 --folds-run 2 --set epochs=1); shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
OUT=${OUT:-/tmp/classifier_gpu_out}
LIMIT_S=${LIMIT_S:-220}
LOGS=$(mktemp -d)
mkdir -p "$OUT"

job() {
  local name=$1; shift
  timeout "$LIMIT_S" python -m export.classifier.train --data-dir "$DATA" \
    --vectors "$DATA/vectors.safetensors" --results "$OUT/classifier_results.json" \
    "$@" "${SMOKE[@]}" > "$LOGS/$name.log" 2>&1
  echo "$name: exit $? after $SECONDS s" >> "$LOGS/status"
}

# SST-2: the best of 5 restarts on dev; 20k: the most frequent Wikipedia words added to the vocabulary
XV=(--extra-vocab 20000)
sst2() { local name=$1; shift; job "$name-sst2" --name "$name" --seeds 5 "$@" --checkpoint "$OUT/$name.safetensors" & }
# MR: 15 epochs (not Kim's 25) so that all 10 folds end in time
mr() { local name=$1; shift; job "$name-mr" --name "$name" --dataset mr --set epochs=15 "$@" & }
sst2 cnn-rand --model cnn-rand
sst2 cnn-non-static --model cnn-non-static
sst2 cnn-non-static-xv --model cnn-non-static "${XV[@]}"
sst2 cnn-multichannel-xv --model cnn-multichannel "${XV[@]}"
sst2 bilstm --model bilstm
mr cnn-rand --model cnn-rand
mr cnn-non-static --model cnn-non-static
mr cnn-non-static-xv --model cnn-non-static "${XV[@]}"
mr cnn-multichannel-xv --model cnn-multichannel "${XV[@]}"
mr bilstm --model bilstm
wait
{
  cat "$LOGS/status"
  for log in "$LOGS"/*.log; do
    echo "== $(basename "$log")"
    tr '\r' '\n' < "$log" | grep -v '%|' | grep -v Warning
  done
} > "$OUT/gpu_train.log"
cat "$OUT/gpu_train.log"
