#!/usr/bin/env bash
# Train the three PTB language models at once on one GPU, each within a wall-clock budget, and
# copy each one's best checkpoint (fp16 safetensors shards + a JSON record of its per-epoch
# curves and valid/test perplexity) to $OUT. The vanilla RNN is the touchiest to tune, so three
# settings of it train side by side and only the one with the best validation perplexity is kept.
#
#   OUT=/tmp/lmout bash export/gpu_train_lms.sh [--data-dir .gpu_data] [--minutes 4.8] [--smoke]
#
# --smoke: tiny models on a slice of the corpus for a few seconds, to check the script on a CPU.
# Then export on a CPU: python -m export.export_lm --run $OUT/lm-lstm (and lm-gru, lm-rnn-*).
set -euo pipefail
DATA_DIR=.gpu_data
MINUTES=4.8
EXTRA=()
while [ $# -gt 0 ]; do
  case "$1" in
    --data-dir) DATA_DIR=$2; shift 2 ;;
    --minutes) MINUTES=$2; shift 2 ;;
    --smoke) MINUTES=1.5; EXTRA=(--hidden 32 --max-tokens 2000 --epochs 2); shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
: "${OUT:?set OUT to the folder that receives the checkpoints}"
PYTHON=${PYTHON:-python3}
CKPT=$(mktemp -d)
export PYTHONUNBUFFERED=1
mkdir -p "$OUT"
test -f "$DATA_DIR/ptb/ptb.train.txt" || { echo "no $DATA_DIR/ptb/ptb.train.txt" >&2; exit 1; }
$PYTHON -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else '')"

run() {  # run NAME ARGS...: one background training process, its output in $CKPT/NAME.log
  local name=$1; shift
  $PYTHON -m export.train_lm --name "$name" --data-dir "$DATA_DIR" --checkpoint-dir "$CKPT" \
    --max-minutes "$MINUTES" "$@" "${EXTRA[@]}" > "$CKPT/$name.log" 2>&1 &
}
# Zaremba et al. (2014) medium recipe for the gated cells: 2x650, dropout 0.5, SGD lr 1 divided
# by 1.2 per epoch from epoch 6, clip 5, batch 20, bptt 35, tied embeddings.
run lm-lstm --cell lstm --hidden 650 --dropout 0.5 --lr 1.0 --clip 5
run lm-gru --cell gru --hidden 650 --dropout 0.5 --lr 1.0 --clip 5
run lm-rnn-a --cell rnn --hidden 512 --dropout 0.5 --lr 1.0 --clip 5
run lm-rnn-b --cell rnn --hidden 512 --dropout 0.3 --lr 0.5 --clip 5
run lm-rnn-c --cell rnn --hidden 512 --dropout 0.25 --lr 0.25 --clip 2
status=0
for pid in $(jobs -p); do wait "$pid" || status=1; done

for log in "$CKPT"/*.log; do echo "== $(basename "$log")"; tail -n 6 "$log"; done
BEST_RNN=$($PYTHON - "$CKPT" <<'PY'
import json, sys
from pathlib import Path
runs = [json.loads(p.read_text()) for p in Path(sys.argv[1]).glob("lm-rnn-*.json")]
runs = [r for r in runs if r.get("best_epoch")]
print(min(runs, key=lambda r: r["best_valid_ppl"])["name"] if runs else "")
PY
)
for name in lm-lstm lm-gru $BEST_RNN; do
  cp "$CKPT/$name".json "$CKPT/$name"-best-*.safetensors "$OUT"/ || status=1
done
$PYTHON - "$OUT" <<'PY'
import json, sys
from pathlib import Path
out = Path(sys.argv[1])
for p in sorted(out.glob("*.json")):
    r = json.loads(p.read_text())
    print(f"{r['name']}: {r['config']['cell']} {r['config']['layers']}x{r['config']['hidden']} "
          f"epochs {r.get('epochs_run')} best {r['best_epoch']} valid {r['best_valid_ppl']:.2f} "
          f"test {r.get('test_ppl', float('nan')):.2f} seconds {r['seconds']:.0f} on {r['device']}")
files = sorted(out.iterdir())
print(f"{len(files)} files, {sum(f.stat().st_size for f in files) / 2**20:.1f} MiB in {out}")
PY
exit $status
