"""The "Sentiment" tab and its API, /classify: Kim's CNN and a BiLSTM on SST-2, and any other
sentiment folder installed (a five-label SST-1 model is listed with its own labels)."""
import gradio as gr

from serving import page_link
from serving.example_buttons import answer_examples, example_buttons
from serving.inline_errors import inline, status_box
from serving.model_choice import choose, served_models
from serving.plain_words import counted, machine_in_words, percent, three_decimals
from serving.sentiment import MAX_TOKENS, SentimentModel

TASK = "sentiment"
TAB = "Sentiment"
NOT_ENGLISH = "not English"
NOT_YET = "— none yet"   # a measure the model's manifest does not carry
LONG_REVIEW = (
    "I went in with low expectations. The trailer made it look like yet another tired heist "
    "picture, the poster is ugly, and the first twenty minutes do little to change that: the "
    "setup is slow, the dialogue is clumsy, and the opening chase is shot so darkly that you "
    "can barely tell who is driving which car. A friend walked out before the half-hour mark. "
    "Then something shifts. Once the four thieves are locked inside the bank overnight, the "
    "film slows down in the best way. The script gives each of them room to talk, to lie and "
    "to argue, and the actors take it. The older safecracker, played with quiet wit, steals "
    "every scene he is in, and the young hostage negotiator outside turns out to be far more "
    "than the cliche she first seems. The camera work, so murky at the start, becomes tight "
    "and clever in the cramped vault, and the score knows when to stay silent. By the last "
    "act I was holding my breath, and the final twist is earned rather than pulled out of a "
    "hat. It is not a perfect film, and the first act really should have been cut, but by "
    "the end I was completely won over. Funny, tense and surprisingly moving: one of the "
    "best films I have seen this year, and I would happily watch it again.")
# text, what a visitor expects (a label, or NOT_ENGLISH), and why the default model misses it
# when it does (tests/test_tab_examples.py checks each against the default model: answered as
# labelled, or really missed)
EXAMPLES = [("The movie was wonderful.", "positive", ""),
            ("A dull, lifeless and far too long film.", "negative", ""),
            ("This is not a good movie.", "negative", ""),
            ("Not bad at all!", "positive",
             "it reads 'bad' and misses the 'not' before it: SST-2's training sentences "
             "rarely turn a word's sentiment round"),
            ("I expected a masterpiece; what I got was a mess.", "negative", ""),
            (LONG_REVIEW, "positive", ""),
            ("Les acteurs sont excellents 😀", NOT_ENGLISH, ""),
            ("Ugh", "negative", "")]
DEFAULT_TEXT = EXAMPLES[0][0]
URL_KEYS = page_link.keys("sa", ["text", "model"])
MODEL_KINDS = {"cnn": "a convolutional network after Kim (2014) that reads English text",
               "bilstm": "a bidirectional LSTM that reads English text in both directions"}
# the sentence sets a model can be measured on, by their metric's prefix
SETS = {"sst2": "SST-2", "sst1": "SST-1"}
HOW_A_CNN_READS = (
    "**How the CNN reads a sentence.** Each word becomes a 300-d vector. 300 filters slide over "
    "the sentence, 100 each over windows of 3, 4 and 5 words, and each filter keeps only its "
    "strongest match anywhere in the sentence (max-over-time pooling). One linear layer weighs "
    "those 300 matches into the labels (Kim 2014). Max-over-time pooling reads a text of any "
    f"length, so a whole review is read in one pass, up to {MAX_TOKENS:,} tokens. The highlights "
    "follow that path back: each filter's push towards the answer goes to the words of its "
    "winning window, in proportion to how much each word lit the filter. Words the model does "
    "not know are never highlighted.")


def test_set(metrics: dict) -> str:
    """The prefix of the sentence set a model was trained and measured on: "sst2" or "sst1"."""
    return next((key for key in SETS if f"{key}_test_accuracy" in metrics), "sst2")


def served_table(manifests: list[dict]) -> list[list]:
    """The served models side by side, a row per measure and a column per model (so that a 390 px
    phone shows every cell whole), each number from the model's manifest, measured on its
    shipped weights; "—" with why where a model has none (in words short enough for a phone's
    column)."""
    def row(measure, value):
        return [measure] + [value(m["metrics"], m["hyperparameters"]["labels"]) for m in manifests]

    def unless_binary(value):
        return lambda metrics, labels: value(metrics) if len(labels) == 2 else f"— {len(labels)} labels"

    def on_its_own_set(measure, shown=percent):
        """SST-2's measure, or SST-1's for a five-label model, saying which."""
        def value(metrics, labels):
            key = f"{test_set(metrics)}_test_{measure}"
            return (shown(metrics[key]) + ("" if test_set(metrics) == "sst2" else " (SST-1)")
                    if key in metrics else NOT_YET)
        return value
    return [row("SST test sentences (SST-2; SST-1 for five labels)", on_its_own_set("accuracy")),
            row("the same, those with a negator (not, n't, no, never, ...)",
                on_its_own_set("negation_accuracy")),
            row("IMDB's 25,000 test reviews, read whole",
                unless_binary(lambda metrics: imdb_cell(metrics) if "imdb_test_accuracy" in metrics
                              else NOT_YET)),
            row("MR reviews, 10-fold cross-validation",
                unless_binary(lambda metrics: percent(metrics["mr_cv_accuracy"]) if "mr_cv_accuracy" in metrics
                              else "— not run")),
            row("calibration error on the same test sentences (ECE, 0 = calibrated)",
                on_its_own_set("ece", three_decimals))]


def short_name(name: str) -> str:
    """A model's name in a narrow column header: "sentiment-cnn-sst1" as "cnn-sst1"."""
    return name.removeprefix(f"{TASK}-")


def imdb_cell(metrics: dict) -> str:
    """IMDB test accuracy, saying so when it was measured on the first tokens only."""
    read = metrics.get("imdb_tokens_read", MAX_TOKENS)
    return percent(metrics["imdb_test_accuracy"]) + (f" (first {read} tokens)" if read < MAX_TOKENS else "")


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
        parts.append(f"IMDB {t.get('pretrain_on') or 'reviews'} first")
    if t.get("members", 1) > 1:
        parts.append(f"{t['members']} networks averaged")
    return ", ".join(parts)


def describe(m: dict) -> str:
    """One sentence a visitor understands: what the model is, what it learned from, how good."""
    t, metrics = m["training"], m["metrics"]
    kind = MODEL_KINDS.get(m["hyperparameters"]["model"].split("-")[0], m["architecture"])
    members = t.get("members", 1)
    averaged = f", the average of {members} such networks" if members > 1 else ""
    labels = m["hyperparameters"]["labels"]
    prefix = test_set(metrics)
    first = ("" if not t.get("pretrain_epochs") else
             "IMDB's 25,000 movie reviews labelled by their stars, then " if len(labels) > 2 else
             "IMDB's 25,000 labelled movie reviews, then " if t.get("pretrain_on") != "sentences" else
             "sentences of IMDB's labelled movie reviews (each labelled as its review), then ")
    beside = " and IMDB's labelled movie reviews, read whole" if t.get("joint_imdb") else ""
    scale = (f", on {len(labels)} levels from {labels[0]} to {labels[-1]}" if len(labels) > 2 else "")
    cv = (f" ({percent(metrics['mr_cv_accuracy'])}% on the MR reviews in 10-fold cross-validation)"
          if "mr_cv_accuracy" in metrics else "")
    long_texts = m["hyperparameters"].get("long_texts")
    reviews = (f" Texts of {long_texts['from_tokens']} words and punctuation marks or more, reviews rather than "
               "sentences, go to a second such network that also learned from IMDB's labelled reviews read whole"
               + (f"; together they label {percent(metrics['imdb_test_accuracy'])}% of IMDB's 25,000 test reviews correctly."
                  if "imdb_test_accuracy" in metrics else ".") if long_texts else "")
    return (f"**{m['name']}**: {kind}{averaged}. It learned from {first}{SETS[prefix]}'s movie-review "
            f"sentences labelled by people{scale}{beside}, and labels "
            f"{percent(metrics[f'{prefix}_test_accuracy'])}% of {SETS[prefix]}'s test sentences correctly{cv}.{reviews}")


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
    return (f"**{m['name']}.** {m.get('description', '')} {start}; it went over the training data "
            f"up to {t['epochs']} times, and {kept}. Its probabilities are calibrated on the held-out "
            f"sentences, so 80% means right about 4 times in 5. Training took "
            f"{t['seconds'] / 60:.0f} minutes on {machine_in_words(t['machine'])}.")


def example_label(text: str, expected: str, why: str) -> str:
    if why:
        return f"{text} (known failure)"
    if text == LONG_REVIEW:
        return f"A long review, its verdict at the end ({len(text.split())} words, {expected})"
    return f"{text} ({expected})"


def known_failures() -> str:
    return "Known failures of the default model: " + "; ".join(
        f"“{text}” should be {expected} but is not: {why}" for text, expected, why in EXAMPLES if why) + "."


# NOT_ENGLISH[0].upper(), not capitalize(), which would lower-case the rest ("Not english?")
ENGLISH_ONLY = (f"**{NOT_ENGLISH[0].upper() + NOT_ENGLISH[1:]}?** The models read English only, and half or more "
                "of this text's longer words (of four letters or more) are unknown to this one, so it gives no "
                "label and marks no words: its guess would say little.")


def on_the_scale(probabilities: dict) -> str:
    """A five-label answer in the scale's own order, very negative to very positive (the label
    box above it ranks them by probability, which hides where the answer lies on the scale)."""
    return "On the scale: " + " · ".join(f"{label} {100 * p:.0f}%" for label, p in probabilities.items()) + "."


def reading_note(text: str, result: dict) -> str:
    """How much was read: every token, or the first MAX_TOKENS up to where a word ends, and
    the words the unread part starts with; a five-label answer in its scale's order first."""
    scale = on_the_scale(result["probabilities"]) + "\n\n" if len(result["probabilities"]) > 2 else ""
    note = scale + f"{counted(result['tokens'], 'token')} read, {result['unknown']:,} not in the model's vocabulary."
    if result["truncated"]:
        rest = text[result["characters_read"]:].split()
        note += (f" **Only the first {result['tokens']:,} tokens were read** (the first "
                 f"{result['characters_read']:,} of {len(text):,} characters): the rest, from "
                 f"“{' '.join(rest[:6])} …”, was not.")
    return note


def model_order(m: dict) -> tuple:
    """Two-label models first, the CNN first of them: sentiment-cnn is the default."""
    return len(m["hyperparameters"]["labels"]) != 2, "cnn" not in m["name"], m["name"]


def build(manifests: dict[str, dict]) -> None:
    models = served_models(manifests, TASK, SentimentModel, model_order)
    if not models:
        gr.Markdown("No sentiment model is installed in weights/.")
        return
    names = list(models)
    ours = [manifests[n] for n in names]

    def classify(text: str, model: str = names[0]) -> dict:
        """The label of an English sentence or review (positive or negative; a five-label model
        from very negative to very positive), with calibrated probabilities and the evidence: the
        known words of the n-grams that won the max-over-time pooling, weighted by their push
        towards the label (negative weight: against it). The whole text is read in one pass, up
        to 5,000 tokens: "truncated" says whether it was cut there, "characters_read" how
        far it was read. "not_english" is true when half or more of the words (of four letters
        or more) are unknown to the model: it reads English only, and the label says little.

        Args:
            text: the sentence or review, in English
            model: "sentiment-cnn" (Kim's CNN, the default), "sentiment-bilstm", or any other
                sentiment model /models lists (e.g. "sentiment-cnn-sst1", five labels)
        """
        return choose(models, model).classify(text)

    def show(text: str, model: str) -> tuple:
        result = classify(text, model)
        if result["not_english"]:   # no label, so no words for or against one
            return NOT_ENGLISH, [[text, None]], ENGLISH_ONLY
        return result["probabilities"], result["highlights"], reading_note(text, result)

    shown = inline(show, 3)
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=320):
            text = gr.Textbox(label="Sentence", lines=3, max_lines=12, value=DEFAULT_TEXT,
                              info=f"English: a sentence or a whole review (up to {MAX_TOKENS:,} words "
                                   "and punctuation marks are read). Shift+Enter classifies (Enter adds a line).")
            model = gr.Radio(names, value=names[0], label="Model")
            go = gr.Button("Classify", variant="primary", elem_id="sa-classify")
            status = status_box()
            label = gr.Label(label="Sentiment (calibrated probabilities)", elem_id="sentiment-label",
                             num_top_classes=max(len(m["hyperparameters"]["labels"]) for m in ours))
            evidence = gr.HighlightedText(label="Why: the words that drove the decision "
                                                "(red: pushed towards the answer, blue: against it)",
                                          elem_id="sentiment-evidence")
            note = gr.Markdown(elem_id="sentiment-note")
            examples = example_buttons("Examples (press one)", [(example_label(*e), [e[0]]) for e in EXAMPLES])
            gr.Markdown(known_failures())
        with gr.Column(scale=2, min_width=320):
            for m in ours:
                gr.Markdown(describe(m))
            gr.Markdown(HOW_A_CNN_READS)
    gr.Markdown(f"### Measured accuracy (%)\nA column per model served, named without its “{TASK}-” prefix.")
    # on a 390 px phone 22% holds "labels" and "cnn-sst1" broken at its hyphen; the measures keep at
    # least a third, which holds their longest word ("calibrated)") whole
    model_share = min(22, 66 / len(names))
    gr.Dataframe(served_table(ours), headers=["measure", *map(short_name, names)], interactive=False, wrap=True,
                 column_widths=[f"{100 - model_share * len(names):.0f}%", *[f"{model_share:.0f}%"] * len(names)],
                 max_height=1000, elem_id="sa-measured")
    gr.Markdown("Every training run, its accuracy on SST-2's test sentences and in MR's cross-validation:")
    gr.Dataframe(accuracy_table(ours), headers=["training run (what it was given)", "SST-2 test", "MR 10-fold"],
                 interactive=False, wrap=True, column_widths=["60%", "20%", "20%"])
    with gr.Accordion("How the models were trained", open=False):
        for m in ours:
            gr.Markdown(training_details(m))

    inputs, outputs = [text, model], [label, evidence, note, status]
    # choosing another model answers with it at once, or the old model's answer would stay under
    # the new choice until Classify (.input: the visitor's choice, not a link's)
    gr.on([go.click, text.submit, model.input], shown, inputs, outputs, js=page_link.write_url(TAB, URL_KEYS),
          api_name="classify_page", api_visibility="private")
    page_link.answer_on_load(TAB, URL_KEYS, [DEFAULT_TEXT, names[0]], shown, inputs, outputs)
    answer_examples(examples, shown, inputs, outputs, then=page_link.write_url(TAB, URL_KEYS), scroll_to="sa-classify",
                    api_visibility="private")
    gr.api(classify, api_name="classify")
