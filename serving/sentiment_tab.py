"""The "Sentiment" tab and its API, /classify: Kim's CNN and a BiLSTM on SST-2."""
import gradio as gr

from serving.sentiment import SentimentModel

TASK = "sentiment"
EXAMPLES = ["The movie was wonderful.", "A dull, lifeless and far too long film.",
            "Not bad at all!", "I expected a masterpiece; what I got was a mess.",
            "Les acteurs sont excellents 😀", "Ugh"]
ROW_LABELS = {"cnn-rand": "CNN-rand", "cnn-static": "CNN-static",
              "cnn-non-static": "CNN-non-static", "cnn-non-static-xv": "CNN-non-static, +20k words",
              "cnn-multichannel": "CNN-multichannel",
              "cnn-multichannel-xv": "CNN-multichannel, +20k words",
              "cnn-multichannel-imdb": "CNN-multichannel, +20k words, vectors with IMDB text",
              "cnn-multichannel-imdb-pretrained":
                  "CNN-multichannel, +20k words, vectors with IMDB text, IMDB reviews first",
              "bilstm": "BiLSTM",
              "tfidf-lr": "TF-IDF + logistic regression"}
HOW_A_CNN_READS = (
    "**How the CNN reads a sentence.** Each word becomes a 300-d vector. 300 filters slide over "
    "the sentence, 100 each over windows of 3, 4 and 5 words, and each filter keeps only its "
    "strongest match anywhere in the sentence (max-over-time pooling). One linear layer weighs "
    "those 300 matches into negative or positive (Kim 2014). The highlights follow that path back: "
    "each filter's push towards the answer goes to the words of its winning window, in "
    "proportion to how much each word lit the filter.")


def accuracy_table(manifests: list[dict]) -> list[list]:
    """Rows from the results every manifest carries (the latest export's copy wins)."""
    results = {}
    for m in manifests:
        results.update(m.get("comparison", {}))

    def percent(key):
        if key not in results:
            return None
        entry = results[key]
        value = f'{100 * entry["accuracy" if key.endswith("mr-cv") else "sst2_test_accuracy"]:.1f}'
        done, total = len(entry.get("folds", [])), entry.get("folds_total")
        return f"{value} ({done} of {total} folds)" if total and done < total else value

    names = sorted({key.split("/")[0] for key in results
                    if key.endswith("/sst2") or key.endswith("/mr-cv")},
                   key=lambda n: (list(ROW_LABELS).index(n) if n in ROW_LABELS else 99, n))
    return [[ROW_LABELS.get(n, n), percent(f"{n}/sst2"), percent(f"{n}/mr-cv")] for n in names]


def describe(m: dict) -> str:
    t, metrics = m["training"], m["metrics"]
    vectors = (f"initialised with {t['vectors']} ({t['vocab_with_vectors']} of its words)"
               if t.get("vectors") else "with randomly initialised word vectors")
    members, restarts = t.get("members", 1), t.get("restarts", 1)
    kept = (f"averaging the {members} best of {restarts} restarts (epochs "
            f"{', '.join(map(str, t['best_epoch']))}, best dev accuracy)" if members > 1 else
            f"keeping epoch {t['best_epoch']}"
            + (f" of the best of {restarts} restarts" if restarts > 1 else "")
            + " (best dev accuracy)")
    done, total = metrics.get("mr_cv_folds"), metrics.get("mr_cv_folds_total", 10)
    cv = (f", MR {total}-fold CV {100 * metrics['mr_cv_accuracy']:.1f}%"
          + (f" (mean of the {done} folds that ran)" if done and done < total else "")
          if "mr_cv_accuracy" in metrics else "")
    pretrain = t.get("pretrain_epochs", 0)
    first = (f"IMDB's labeled training reviews ({pretrain} epoch{'s' * (pretrain > 1)}), then on "
             if pretrain else "")
    return (f"**{m['name']}** — {m['architecture']}. {m.get('description', '')} Trained on "
            f"{first}SST-2 {vectors}, {t['optimizer']}, up to {t['epochs']} epochs, {kept}, in "
            f"{t['seconds']} s on {t['machine']}. "
            f"SST-2 test accuracy {100 * metrics['sst2_test_accuracy']:.1f}%{cv}; probabilities "
            f"calibrated on dev (temperature {metrics['temperature']:.2f}).")


def build(manifests: dict[str, dict]) -> None:
    ours = sorted((m for m in manifests.values() if m["task"] == TASK),
                  key=lambda m: "cnn" not in m["name"])  # the CNN is the default
    if not ours:
        gr.Markdown("No sentiment model is installed in weights/.")
        return
    models = {m["name"]: SentimentModel(m) for m in ours}
    names = list(models)

    def classify(text: str, model: str = names[0]) -> dict:
        """Positive or negative, calibrated probabilities, and the evidence: the n-grams that
        won the max-over-time pooling, weighted by their push towards the label (negative
        weight: against it)."""
        if model not in models:
            raise gr.Error(f"Unknown model {model!r}; choose from {', '.join(names)}.")
        try:
            return models[model].classify(text)
        except ValueError as err:
            raise gr.Error(str(err)) from None

    def show(text: str, model: str):
        result = classify(text, model)
        note = (f"{result['tokens']} tokens read, {result['unknown']} not in the model's "
                "vocabulary.")
        if result["truncated"]:
            note += (f" **The input was truncated** to its first {result['tokens']} tokens; "
                     "the rest was not read.")
        return result["probabilities"], result["highlights"], note

    with gr.Row():
        with gr.Column(scale=2):
            text = gr.Textbox(label="Sentence", lines=3, value=EXAMPLES[0])
            model = gr.Radio(names, value=names[0], label="Model")
            go = gr.Button("Classify", variant="primary")
            gr.Examples([[e] for e in EXAMPLES], [text])
        with gr.Column(scale=1):
            gr.Markdown(HOW_A_CNN_READS)
            for m in ours:
                gr.Markdown(describe(m))
    with gr.Row():
        label = gr.Label(label="Sentiment (calibrated probabilities)", num_top_classes=2)
        with gr.Column():
            evidence = gr.HighlightedText(label="Why: the words that drove the decision "
                                                "(red: pushed towards the answer, "
                                                "blue: against it)")
            note = gr.Markdown()
    gr.Markdown("### Measured accuracy (%)")
    gr.Dataframe(accuracy_table(ours), headers=["model", "SST-2 test", "MR 10-fold CV"],
                 interactive=False)

    go.click(show, [text, model], [label, evidence, note], api_visibility="private")
    text.submit(show, [text, model], [label, evidence, note], api_visibility="private")
    gr.api(classify, api_name="classify")
