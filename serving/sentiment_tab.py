"""The "Sentiment" tab and its API, /classify: Kim's CNN and a BiLSTM on SST-2."""
import gradio as gr

from serving.model_choice import choose, served_models
from serving.sentiment import SentimentModel

TASK = "sentiment"
EXAMPLES = ["The movie was wonderful.", "A dull, lifeless and far too long film.",
            "Not bad at all!", "I expected a masterpiece; what I got was a mess.",
            "Les acteurs sont excellents 😀", "Ugh"]
HOW_A_CNN_READS = (
    "**How the CNN reads a sentence.** Each word becomes a 300-d vector. 300 filters slide over "
    "the sentence, 100 each over windows of 3, 4 and 5 words, and each filter keeps only its "
    "strongest match anywhere in the sentence (max-over-time pooling). One linear layer weighs "
    "those 300 matches into negative or positive (Kim 2014). The highlights follow that path back: "
    "each filter's push towards the answer goes to the words of its winning window, in "
    "proportion to how much each word lit the filter.")


def accuracy_table(manifests: list[dict]) -> list[list]:
    """One row per training run in the results every manifest carries (the latest export's copy
    wins), by SST-2 test accuracy: the run's name as recorded, its accuracies, and what its
    training record says it was given."""
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

    names = {key.split("/")[0] for key in results if key.endswith("/sst2") or key.endswith("/mr-cv")}
    by_accuracy = sorted(names, key=lambda n: (results.get(f"{n}/sst2", {}).get("sst2_test_accuracy", 0), n))
    return [[n, percent(f"{n}/sst2"), percent(f"{n}/mr-cv"), given(results.get(f"{n}/sst2") or results[f"{n}/mr-cv"])]
            for n in by_accuracy]


def given(entry: dict) -> str:
    """A run's vectors and extra data, in words, from its training record (a baseline without
    one: its command)."""
    t = entry.get("training")
    if not t:
        return f"no training record; made by {entry['command']}"
    vectors = t.get("vectors") or ""
    parts = [f"{t['model']}", "random vectors" if not vectors else
             "word2vec with IMDB text" if "imdb" in vectors else "our word2vec"]
    if t.get("extra_vocab"):
        parts.append(f"+{t['extra_vocab'] // 1000}k pretrained words")
    if t.get("pretrain_epochs"):
        parts.append("IMDB reviews first")
    if t.get("members", 1) > 1:
        parts.append(f"{t['members']} networks averaged")
    return ", ".join(parts)


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
    models = served_models(manifests, TASK, SentimentModel, lambda m: "cnn" not in m["name"])  # CNN first
    if not models:
        gr.Markdown("No sentiment model is installed in weights/.")
        return
    names = list(models)
    ours = [manifests[n] for n in names]

    def classify(text: str, model: str = names[0]) -> dict:
        """Positive or negative, calibrated probabilities, and the evidence: the n-grams that
        won the max-over-time pooling, weighted by their push towards the label (negative
        weight: against it)."""
        return choose(models, model).classify(text)

    def show(text: str, model: str) -> tuple:
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
    gr.Dataframe(accuracy_table(ours), headers=["training run", "SST-2 test", "MR 10-fold CV",
                                             "architecture, vectors, extra data"],
                 interactive=False)

    for event in (go.click, text.submit):
        event(show, [text, model], [label, evidence, note], api_name="classify_page", api_visibility="private")
    gr.api(classify, api_name="classify")
