"""The model card (README.md) of a weights folder, written from its manifest alone.

The metadata goes through huggingface_hub's ModelCardData, so the Hub reads it as it writes it.
The model-index holds exactly the manifest's top-level measured numbers: the card never claims
more than the manifest's eval_command measured.
"""
import json
from dataclasses import dataclass
from pathlib import Path

from huggingface_hub import EvalResult, ModelCard, ModelCardData


@dataclass(frozen=True)
class Source:
    name: str
    credit: str
    hub_id: str | None = None  # the Hub dataset the card's `datasets` metadata links to
    license: str | None = None  # what the data's licence makes of a model trained on it


WIKIPEDIA = Source(
    "English Wikipedia (2019-07-20 dump, text8-style)",
    "English Wikipedia text by Wikipedia contributors, licensed CC BY-SA 3.0 (and GFDL); cleaned "
    "and normalised by this project. Word vectors learnt from it carry the same licence.",
    "wikimedia/wikipedia", "cc-by-sa-3.0")
SOURCES = {  # by the data folder a training path or a metric comes from
    "enwiki2019-t8": WIKIPEDIA, "enwiki2019-t8-more": WIKIPEDIA, "enwiki2019-lm": WIKIPEDIA,
    "ptb": Source("Penn Treebank (Mikolov et al. 2010 version)",
                  "Penn Treebank (Marcus et al. 1993), Wall Street Journal text, (c) Linguistic Data "
                  "Consortium (LDC99T42), under the LDC user agreement: research use; language-"
                  "modelling version of Mikolov et al. (2010).", "ptb-text-only/ptb_text_only", "other"),
    "sst2": Source("SST-2 (Kim 2014 splits)",
                   "Stanford Sentiment Treebank (Socher et al. 2013), sentences of rottentomatoes.com "
                   "reviews collected by Pang & Lee (2005); binary version with Kim (2014)'s splits. "
                   "Released for research.", "stanfordnlp/sst2", "other"),
    "mr": Source("MR (Pang & Lee 2005)",
                 "Sentence polarity dataset v1.0 (Pang & Lee 2005), rottentomatoes.com snippets; "
                 "10-fold cross-validation as in Kim (2014). Released for research.",
                 "cornell-movie-review-data/rotten_tomatoes", "other"),
    "imdb": Source("IMDB (Maas et al. 2011)", "Large Movie Review Dataset v1.0 (Maas et al. 2011).",
                   "stanfordnlp/imdb", "other"),
    "questions-words": Source("questions-words (Mikolov et al. 2013)",
                              "Word analogy questions of Mikolov et al. (2013), as shipped with gensim."),
    "wordsim353": Source("WordSim-353 (Finkelstein et al. 2002)",
                         "WordSim-353 (Finkelstein et al. 2002), as shipped with gensim."),
}
ARCHITECTURE_TAGS = ("CNN", "LSTM", "GRU", "RNN", "skip-gram", "CBOW")
GENSIM = "gensim (Řehůřek & Sojka 2010, LGPL-2.1): Word2Vec baseline and the evaluation sets."
METRIC_TYPES = {"accuracy": "accuracy", "perplexity": "perplexity", "spearman": "spearmanr",
                "ece": "ece"}  # metric ids the Hub knows, by a part of the manifest's metric name
METRIC_SOURCES = {"analogy": "questions-words", "wordsim353": "wordsim353", "sst2": "sst2",
                  "dev_": "sst2", "temperature": "sst2", "mr": "mr"}
TASKS = {
    "word-vectors": {
        "pipeline_tag": "feature-extraction", "title": "Word vectors",
        "tags": ["word2vec", "word-embeddings", "word-analogy"], "widget": [{"text": "king"}],
        "feeds": {"positive_ids": 'ids(["king", "woman"])', "negative_ids": 'ids(["man"])',
                  "topn": "[5]", "lookup_ids": "[]"},
        "show": {"cosadd_ids": 'print([vocab[i] for i in outputs["cosadd_ids"]])'},
        "limits": "Only lower-case words a-z are known (text8 rules: digits spelled out, accents "
                  "folded); a word outside the vocabulary file has no vector. Neighbours and "
                  "analogies mirror one 2019 slice of English Wikipedia, its topics and its biases "
                  "(gender, nationality, ...): they show what the text says, not facts."},
    "language-model": {
        "pipeline_tag": "text-generation", "title": "Word-level language model",
        "tags": ["language-model", "penn-treebank"],
        "widget": [{"text": "the company said it expects"}],
        "show": {"logits": 'print(vocab[outputs["logits"][-1, 0].argmax()])  # the likeliest next word'},
        "limits": "Penn Treebank vocabulary (10k lower-case words, numbers as N, rare words as "
                  "`<unk>`) and 1989 Wall Street Journal style: continuations read like newswire, lose "
                  "coherence over a few sentences and state nothing reliable. Not a chat model."},
    "sentiment": {
        "pipeline_tag": "text-classification", "title": "Sentence sentiment classifier",
        "tags": ["sentiment-analysis", "sst-2"],
        "widget": [{"text": "a gripping , beautifully acted film"},
                   {"text": "the plot is thin and the jokes fall flat"}],
        "show": {"logits": 'print(outputs["logits"])  # one row per sentence, labels as in manifest.json'},
        "limits": "Positive or negative for one English sentence about a film. Other domains, "
                  "sarcasm, mixed opinions and long documents are weaker; the probabilities are "
                  "calibrated on SST-2 dev by one temperature only. Not for decisions about people."},
}


def measured(manifest: dict) -> dict[str, float]:
    """The manifest's top-level numeric metrics: what the model-index reports."""
    return {k: v for k, v in manifest.get("metrics", {}).items()
            if isinstance(v, int | float) and not isinstance(v, bool)}


def training_sources(manifest: dict) -> list[str]:
    folders = [part for item in manifest.get("training_data", []) for part in Path(item["path"]).parts]
    found = [key for key in SOURCES if key in folders]
    if manifest.get("training", {}).get("vectors"):
        found.append("enwiki2019-t8")  # pre-trained word vectors come from the Wikipedia corpora
    return list(dict.fromkeys(found))


def metric_source(name: str, manifest: dict) -> str:
    for prefix, key in METRIC_SOURCES.items():
        if name.startswith(prefix):
            return key
    return (training_sources(manifest) or [manifest["task"]])[0]


def eval_results(manifest: dict, task: dict) -> list[EvalResult]:
    results = []
    for name, value in measured(manifest).items():
        key = metric_source(name, manifest)
        source = SOURCES.get(key, Source(key, ""))
        kind = next((kind for part, kind in METRIC_TYPES.items() if part in name), name)
        split = "test" if "test" in name else "validation" if "dev" in name or "valid" in name else None
        results.append(EvalResult(task_type=task["pipeline_tag"], task_name=task["title"],
                                  dataset_type=source.hub_id or key, dataset_name=source.name,
                                  dataset_split=split, metric_type=kind, metric_name=name,
                                  metric_value=value))
    return results


def card_data(manifest: dict) -> ModelCardData:
    task = TASKS[manifest["task"]]
    sources = [SOURCES[k] for k in training_sources(manifest)]
    licenses = {s.license for s in sources} or {"other"}
    license = licenses.pop() if len(licenses) == 1 else "other"
    onnx = "model.onnx" in manifest["files"]
    return ModelCardData(
        model_name=manifest["name"], language="en", license=license,
        license_name="research-use-data" if license == "other" else None,
        datasets=list(dict.fromkeys(s.hub_id for s in sources if s.hub_id)) or None,
        library_name="onnx" if onnx else "gensim", pipeline_tag=task["pipeline_tag"],
        tags=(["onnx"] if onnx else ["gensim"]) + task["tags"] + [
            kind.lower() for kind in ARCHITECTURE_TAGS if kind.lower() in manifest["architecture"].lower()],
        widget=task["widget"],
        eval_results=eval_results(manifest, task))


def table(rows: dict) -> str:
    lines = ["| | |", "| --- | --- |"]
    for key, value in rows.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            shown = f"{len(value)} records (in manifest.json)"
        else:
            shown = value if isinstance(value, str | int | float) else json.dumps(value)
        lines.append(f"| {key} | {shown} |")
    return "\n".join(lines)


def flat(metrics: dict, prefix: str = "") -> dict:
    """Nested metrics (per-section accuracies) as dotted rows for the card's table."""
    rows = {}
    for key, value in metrics.items():
        rows |= flat(value, f"{prefix}{key}.") if isinstance(value, dict) else {f"{prefix}{key}": value}
    return rows


def numpy_dtype(onnx_type: str) -> str:
    """'tensor(float)' (onnxruntime's spelling) or 'float32' -> 'float32'."""
    name = onnx_type.removeprefix("tensor(").removesuffix(")")
    return {"float": "float32", "double": "float64"}.get(name, name)


def example_dims(shape: list) -> list[int]:
    """A batch of one; the first other symbolic dimension (tokens, query words) is free (-1)."""
    free = [i for i, d in enumerate(shape) if isinstance(d, str) and not d.startswith("batch")][:1]
    return [-1 if i in free else 1 if isinstance(d, str) else d for i, d in enumerate(shape)]


def usage(manifest: dict, repo_id: str, revision: str) -> str:
    fetch = (f"from huggingface_hub import snapshot_download\n\n"
             f'folder = snapshot_download("{repo_id}", revision="{revision}")\n')
    if "model.onnx" not in manifest["files"]:
        return ("```python\nfrom gensim.models import KeyedVectors\n" + fetch +
                'kv = KeyedVectors.load_word2vec_format(f"{folder}/vectors.bin", binary=True)\n'
                'print(kv.most_similar(positive=["king", "woman"], negative=["man"], topn=5))\n```')
    task = TASKS[manifest["task"]]
    vocab = manifest.get("vocabulary", {}).get("file") or (
        "vocab.txt" if "vocab.txt" in manifest["files"] else None)
    example = task["widget"][0]["text"].split()
    feeds = []
    for spec in manifest.get("inputs", []):
        dims = example_dims(spec["shape"])
        dtype = numpy_dtype(spec["dtype"])
        if spec["name"] in task.get("feeds", {}):
            value = f"np.array({task['feeds'][spec['name']]}, np.{dtype}).reshape({dims})"
        elif dtype == "int64" and vocab:
            value = f"np.array(ids({example!r}), np.int64).reshape({dims})"
        else:
            value = f"np.zeros({[max(d, 1) for d in dims]}, np.{dtype})"
        feeds.append(f'    "{spec["name"]}": {value},  # {spec["shape"]}')
    outputs = {o["name"] for o in manifest.get("outputs", [])}
    show = "".join(line + "\n" for name, line in task.get("show", {}).items() if name in outputs)
    lookup = (f'vocab = open(f"{{folder}}/{vocab}", encoding="utf-8").read().split()\n'
              'index = {w: i for i, w in enumerate(vocab)}\n'
              'ids = lambda words: [index.get(w, index.get("<unk>", 0)) for w in words]\n') if vocab else ""
    return ("```python\nimport numpy as np\nimport onnxruntime as ort\n" + fetch +
            'session = ort.InferenceSession(f"{folder}/model.onnx")\n' + lookup +
            "feeds = {\n" + "\n".join(feeds) + "\n}\n"
            "outputs = dict(zip([o.name for o in session.get_outputs()], session.run(None, feeds)))\n"
            + show + "```")


def body(manifest: dict, repo_id: str, revision: str) -> str:
    task, training = TASKS[manifest["task"]], manifest.get("training", {})
    minutes = f"{training['seconds'] / 60:.0f} min" if "seconds" in training else "unrecorded time"
    data = "\n".join(f"- `{d['path']}` (sha256 `{d['sha256'][:12]}…`)"
                     for d in manifest.get("training_data", []))
    keys = training_sources(manifest) + [metric_source(m, manifest) for m in measured(manifest)]
    credits = list(dict.fromkeys(SOURCES[k].credit for k in keys if k in SOURCES))
    if manifest["task"] == "word-vectors":
        credits.append(GENSIM)
    io = "\n".join(f"- {kind} `{s['name']}`: {s['dtype']} {s['shape']}"
                   for kind in ("input", "output") for s in manifest.get(kind + "s", []))
    versions = ", ".join(f"{k} {v}" for k, v in manifest.get("versions", {}).items() if v)
    return f"""# {manifest['name']}

{task['title']}: {manifest['architecture']}. {manifest.get('description', '')}

## Training

Trained in {minutes} on {training.get('machine', 'an unrecorded machine')}.
Data:

{data or '- (not recorded)'}

Hyperparameters:

{table(manifest.get('hyperparameters', {}))}

Training run:

{table(training)}

Versions: {versions}{f", ONNX opset {manifest['opset']}" if 'opset' in manifest else ''}.

## Evaluation

Measured on held-out data; rerun from the project's repository root with
`{manifest.get('eval_command', '(no command recorded)')}`.

{table(flat(manifest.get('metrics', {})))}

## How to use

{io}

{usage(manifest, repo_id, revision)}

Pin `revision` to a commit sha or tag so the files cannot change under you. Every file's sha256
is in `manifest.json`.

## Limits

{task['limits']}

## Credits and licences

""" + "\n".join(f"- {c}" for c in credits) + "\n"


def model_card(folder: str | Path, repo_id: str, revision: str = "main") -> ModelCard:
    manifest = json.loads((Path(folder) / "manifest.json").read_text())
    text = f"---\n{card_data(manifest).to_yaml()}\n---\n\n{body(manifest, repo_id, revision)}"
    return ModelCard(text)
