#!/usr/bin/env bash
# Every training run of the Sentiment tab at once on one GPU (device auto-detected; it also runs,
# slowly, on CPU): SST-2 for CNN-rand / non-static / multichannel / non-static with 20k extra
# words and the BiLSTM (fp16 checkpoints), and MR 10-fold CV for all but multichannel. All accuracies go to
# $OUT/classifier_results.json, the logs to $OUT/gpu_train.log. Each run is cut at LIMIT_S seconds
# (MR CV records its folds as they finish, so a cut run still reports the folds it did).
#
#   bash export/gpu_train_classifiers.sh --data-dir .gpu_data [--smoke]
# .gpu_data holds sst2/, mr/ and vectors.safetensors, written by
#   python -m export.classifier_vectors --vectors weights/word2vec/model.onnx --out .gpu_data/vectors.safetensors
# Back here: python -m export.train_classifier --from-checkpoint $OUT/cnn-non-static.safetensors \
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
  timeout "$LIMIT_S" python -m export.train_classifier --data-dir "$DATA" \
    --vectors "$DATA/vectors.safetensors" --results "$OUT/classifier_results.json" \
    "$@" "${SMOKE[@]}" > "$LOGS/$name.log" 2>&1
  echo "$name: exit $? after $SECONDS s" >> "$LOGS/status"
}

for model in cnn-rand cnn-non-static cnn-multichannel bilstm; do
  job "$model-sst2" --model "$model" --checkpoint "$OUT/$model.safetensors" &
  case $model in cnn-rand|cnn-non-static|bilstm) job "$model-mr" --model "$model" --dataset mr & ;; esac
done
# non-static with the 20k most frequent Wikipedia words added to the vocabulary
XV=(--model cnn-non-static --name cnn-non-static-xv --extra-vocab 20000)
job cnn-non-static-xv-sst2 "${XV[@]}" --checkpoint "$OUT/cnn-non-static-xv.safetensors" &
job cnn-non-static-xv-mr "${XV[@]}" --dataset mr &
wait
{
  cat "$LOGS/status"
  for log in "$LOGS"/*.log; do
    echo "== $(basename "$log")"
    tr '\r' '\n' < "$log" | grep -v '%|' | grep -v Warning
  done
} > "$OUT/gpu_train.log"
cat "$OUT/gpu_train.log"
