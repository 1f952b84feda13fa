"""The "Sentiment" tab and its API, /classify: Kim's CNN and a BiLSTM on SST-2."""
import gradio as gr

from serving import page_link
from serving.inline_errors import inline, status_box
from serving.model_choice import choose, served_models
from serving.plain_words import machine_in_words, percent
from serving.sentiment import SentimentModel

TASK = "sentiment"
TAB = "Sentiment"
# text, the label a visitor expects, and why the shipped models miss it when they do (checked
# against the shipped weights by tests/test_tab_examples.py; negation is for a retrained model)
EXAMPLES = [("The movie was wonderful.", "positive", ""),
            ("A dull, lifeless and far too long film.", "negative", ""),
            ("Not bad at all!", "positive",
             "both models read 'bad' and miss the 'not' before it: SST-2's training sentences "
             "rarely turn a word's sentiment round"),
            ("I expected a masterpiece; what I got was a mess.", "negative", ""),
            ("Les acteurs sont excellents 😀", "positive",
             "French: the models read English only, 3 of its 4 words are unknown to them and "
             "the emoji is not read, so the answer is close to a coin toss"),
            ("Ugh", "negative", "")]
DEFAULT_TEXT = EXAMPLES[0][0]
URL_KEYS = page_link.keys("sa", ["text", "model"])
MODEL_KINDS = {"cnn": "a convolutional network after Kim (2014) that reads English sentences",
               "bilstm": "a bidirectional LSTM that reads English sentences in both directions"}
HOW_A_CNN_READS = (
    "**How the CNN reads a sentence.** Each word becomes a 300-d vector. 300 filters slide over "
    "the sentence, 100 each over windows of 3, 4 and 5 words, and each filter keeps only its "
    "strongest match anywhere in the sentence (max-over-time pooling). One linear layer weighs "
    "those 300 matches into negative or positive (Kim 2014). The highlights follow that path back: "
    "each filter's push towards the answer goes to the words of its winning window, in "
    "proportion to how much each word lit the filter.")


def accuracy_table(manifests: list[dict]) -> list[list]:
    """One row per training run in the results every manifest carries (the latest export's copy
    wins), by SST-2 test accuracy: the run's name as recorded with what its training record says
    it was given, and its accuracies (three columns fit a phone)."""
    results = {}
    for m in manifests:
        results.update(m.get("comparison", {}))

    def cell(key):
        if key not in results:
            return None
        entry = results[key]
        value = percent(entry["accuracy" if key.endswith("mr-cv") else "sst2_test_accuracy"])
        done, total = len(entry.get("folds", [])), entry.get("folds_total")
        return f"{value} ({done}/{total} folds)" if total and done < total else value

    names = {key.split("/")[0] for key in results if key.endswith("/sst2") or key.endswith("/mr-cv")}
    by_accuracy = sorted(names, key=lambda n: (results.get(f"{n}/sst2", {}).get("sst2_test_accuracy", 0), n))
    return [[f"{n} ({given(results.get(f'{n}/sst2') or results[f'{n}/mr-cv'])})", cell(f"{n}/sst2"), cell(f"{n}/mr-cv")]
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
    """One sentence a visitor understands: what the model is, what it learned from, how good."""
    t, metrics = m["training"], m["metrics"]
    kind = MODEL_KINDS.get(m["hyperparameters"]["model"].split("-")[0], m["architecture"])
    members = t.get("members", 1)
    averaged = f", the average of {members} such networks" if members > 1 else ""
    first = "IMDB's 25,000 labelled movie reviews, then " if t.get("pretrain_epochs") else ""
    cv = (f" ({percent(metrics['mr_cv_accuracy'])}% on the MR reviews in 10-fold cross-validation)"
          if "mr_cv_accuracy" in metrics else "")
    return (f"**{m['name']}**: {kind}{averaged}. It learned from {first}SST-2's movie-review sentences "
            f"labelled by people, and labels {percent(metrics['sst2_test_accuracy'])}% of SST-2's test "
            f"sentences correctly{cv}.")


def training_details(m: dict) -> str:
    """How the model reads and was trained, in words, for the collapsed details."""
    t = m["training"]
    start = (f"Its word vectors started from word2vec's for {t['vocab_with_vectors']:,} of its words"
             if t.get("vectors") else "Its word vectors started random")
    restarts, members = t.get("restarts", 1), t.get("members", 1)
    kept = (f"of {restarts} training runs from different random starts, the {members} best on held-out "
            "sentences are averaged" if members > 1 else
            f"of {restarts} training runs from different random starts, the best on held-out sentences is kept"
            if restarts > 1 else "the pass best on held-out sentences is kept")
    return (f"**{m['name']}.** {m.get('description', '')} {start}; it went over the training sentences "
            f"up to {t['epochs']} times, and {kept}. Its probabilities are calibrated on the held-out "
            f"sentences, so 80% means right about 4 times in 5. Training took "
            f"{t['seconds'] / 60:.0f} minutes on {machine_in_words(t['machine'])}.")


def example_label(text: str, expected: str, why: str) -> str:
    return f"{text} (known failure)" if why else f"{text} ({expected})"


def known_failures() -> str:
    return "Known failures: " + "; ".join(f"“{text}” should be {expected} but is answered negative: {why}"
                                          for text, expected, why in EXAMPLES if why) + "."


def build(manifests: dict[str, dict]) -> None:
    models = served_models(manifests, TASK, SentimentModel, lambda m: "cnn" not in m["name"])  # CNN first
    if not models:
        gr.Markdown("No sentiment model is installed in weights/.")
        return
    names = list(models)
    ours = [manifests[n] for n in names]

    def classify(text: str, model: str = names[0]) -> dict:
        """Positive or negative for an English sentence or review, with calibrated probabilities
        and the evidence: the n-grams that won the max-over-time pooling, weighted by their push
        towards the label (negative weight: against it). Only the first 200 tokens are read.

        Args:
            text: the sentence or review, in English
            model: "sentiment-cnn" (Kim's CNN, the default) or "sentiment-bilstm"
        """
        return choose(models, model).classify(text)

    def show(text: str, model: str) -> tuple:
        result = classify(text, model)
        note = f"{result['tokens']} tokens read, {result['unknown']} not in the model's vocabulary."
        if result["truncated"]:
            read_up_to = result["highlights"][-1][0] if result["highlights"][-1][1] is None else ""
            note += (f" **Only the first {result['tokens']} tokens were read**: the rest, from "
                     f"“{' '.join(read_up_to.split()[:6])} …”, was not.")
        return result["probabilities"], result["highlights"], note

    shown = inline(show, 3)
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=320):
            text = gr.Textbox(label="Sentence", lines=3, value=DEFAULT_TEXT,
                              info="English. Shift+Enter classifies (Enter adds a line).")
            model = gr.Radio(names, value=names[0], label="Model")
            go = gr.Button("Classify", variant="primary", elem_id="sa-classify")
            status = status_box()
            label = gr.Label(label="Sentiment (calibrated probabilities)", num_top_classes=2,
                             elem_id="sentiment-label")
            evidence = gr.HighlightedText(label="Why: the words that drove the decision "
                                                "(red: pushed towards the answer, blue: against it)",
                                          elem_id="sentiment-evidence")
            note = gr.Markdown(elem_id="sentiment-note")
            gr.Examples([[e[0]] for e in EXAMPLES], [text], example_labels=[example_label(*e) for e in EXAMPLES],
                        label="Examples (press one, then Classify)")
            gr.Markdown(known_failures())
        with gr.Column(scale=2, min_width=320):
            for m in ours:
                gr.Markdown(describe(m))
            gr.Markdown(HOW_A_CNN_READS)
    gr.Markdown("### Measured accuracy (%)")
    gr.Dataframe(accuracy_table(ours), headers=["training run (what it was given)", "SST-2 test", "MR 10-fold"],
                 interactive=False, wrap=True, column_widths=["60%", "20%", "20%"])
    with gr.Accordion("How the models were trained", open=False):
        for m in ours:
            gr.Markdown(training_details(m))

    inputs, outputs = [text, model], [label, evidence, note, status]
    gr.on([go.click, text.submit], shown, inputs, outputs, js=page_link.write_url(TAB, URL_KEYS),
          api_name="classify_page", api_visibility="private")
    page_link.answer_on_load(TAB, URL_KEYS, [DEFAULT_TEXT, names[0]], shown, inputs, outputs)
    gr.api(classify, api_name="classify")
