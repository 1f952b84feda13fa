"""results/classifier_results.json: every training run's accuracies by variant, the side-by-side
table the manifests and the tab show. Runs in parallel merge their entries under a lock."""
import fcntl
import json
from pathlib import Path

RESULTS = "results/classifier_results.json"


def record(results_path: str | Path, key: str, entry: dict) -> None:
    """Merge one run's numbers into the shared results JSON (locked: runs go in parallel)."""
    path = Path(results_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.seek(0)
        text = f.read()
        results = json.loads(text) if text.strip() else {}
        results[key] = entry
        f.seek(0)
        f.truncate()
        f.write(json.dumps(results, indent=2, sort_keys=True) + "\n")


def cv_metrics(results: dict, name: str) -> dict:
    """The MR cross-validation of results key `name` as manifest metrics (none if it never ran)."""
    cv = results.get(f"{name}/mr-cv")
    return {"mr_cv_accuracy": cv["accuracy"], "mr_cv_folds": len(cv["folds"]),
            "mr_cv_folds_total": cv["folds_total"], "mr_cv_command": cv["command"]} if cv else {}
