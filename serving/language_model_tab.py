"""The "Language model" tab and its API: /generate, /next_word, /perplexity, /gates and /token_scores.

The prompt's three actions (Generate, Next word, Gates) are sub-tabs, each with its button right
above its result, so the result is in view at once on a desktop and directly under the button on
a phone; scoring a text of one's own follows them, and what the models are sits in a side column
(below, on a phone). Every result is answered on load."""
import html
import json
import secrets
import time

import gradio as gr

from serving import page_link
from serving.errors import InputError
from serving.example_buttons import answer_examples, example_buttons
from serving.gradio_internals import on_page_load
from serving.inline_errors import inline, status_box
from serving.language_model import MAX_NEW_TOKENS, STRATEGIES, TASK, LanguageModel
from serving.language_model_pictures import TOKENS_CSS, TOOLTIP_JS, gates_html, next_word_figure, scored_text_html
from serving.model_choice import choose, served_models
from tokenization.ptb import detokenize

EXAMPLES = ["the company said it expects", "stock prices fell sharply after", "mr. smith is chairman of",
            "the federal reserve"]
SCORED_EXAMPLE = "The company said its profit rose in the third quarter."
TAB = "Language model"
# the inputs of Generate as the link names them, in its order (Next word and Gates write the first two)
URL_KEYS = page_link.keys("lm", ["prompt", "model", "max_new", "strategy", "temperature", "top_k", "top_p", "seed"])
CELL_NAMES = {"lstm": "LSTM", "gru": "GRU", "rnn": "vanilla RNN"}   # in this order: LSTM is the default
KINDS = {"lstm": "a long short-term memory network", "gru": "a gated recurrent unit network",
         "rnn": "a plain recurrent network, without gates"}
CORPUS = "1989 Wall Street Journal news (the Penn Treebank)"
INTRO = (f"Three recurrent language models that learned English from {CORPUS}, about a million words. "
         "Each reads a text one word at a time and gives every word it knows a probability of coming "
         "next. **English only**, and news English: lower case, every number written N, the 10,000 "
         "commonest words of the news.")
BACKGROUND = ("All three carry a hidden state from word to word. The vanilla RNN rewrites its whole "
              "state at every step, so what it read more than a few dozen words back fades (its "
              "gradients vanish the same way). GRU and LSTM gates can leave the state nearly unchanged "
              "from step to step, which keeps long-range information and lets gradients reach it in "
              "training: the Gates tab shows them at work.")
SEED_RANGE = 1_000_000  # a fresh seed short enough to type back
# the page gets the text so far this often: every token was a message of its own, and on a busy
# machine 40 of them took 5 s to arrive, for a text made in 10 ms
STREAM_EVERY_S = 0.1


def summary(m: dict) -> str:
    """One sentence a visitor reads: what the model is, what it learned from, how good it is."""
    h = m["hyperparameters"]
    return (f"**{CELL_NAMES[m['cell']]}**: {KINDS[m['cell']]} ({h['layers']} layers of {h['hidden']} units, "
            f"{h['parameters'] / 1e6:.1f} million parameters) trained on the news text; on news it had "
            f"not seen, its perplexity is **{m['metrics']['test_perplexity']:.1f}**.")


def training_details(m: dict) -> str:
    """How it was trained, for people: the manifest's numbers in sentences, no file paths."""
    h, t, metrics = m["hyperparameters"], m["training"], m["metrics"]
    decay = (f"and divided by {h['lr_decay']:g} after each pass from pass {h['decay_start']} on, or "
             "earlier when the held-out text stopped improving")
    stored = (f" Its weights are stored in 8 bits where onnxruntime allows (perplexity "
              f"{metrics['test_perplexity']:.1f}, against {metrics['fp32_test_perplexity']:.1f} at full "
              "precision)." if "fp32_test_perplexity" in metrics else "")
    return (f"**{CELL_NAMES[m['cell']]}.** {m['description']} It read the training text "
            f"{t['epochs']} times ({t['seconds'] / 60:.0f} minutes on a {t['machine']}), in stretches of "
            f"{h['bptt']} words, {h['batch_size']} stretches at a time; its learning rate started at "
            f"{h['lr']:g} {decay}. Dropout {h['dropout']:g} (a random share of its units switched off "
            f"while training) and gradients clipped at {h['clip']:g} kept it from overfitting and from "
            f"diverging.{stored}")


def perplexity_table(manifests: list[dict]) -> str:
    rows = "".join(f"| {CELL_NAMES[m['cell']]} | {m['metrics']['test_perplexity']:.1f} | "
                   f"{m['hyperparameters']['parameters'] / 1e6:.1f} million |\n" for m in manifests)
    return ("### How well they predict news\n"
            f"Perplexity on the Penn Treebank's test text ({manifests[0]['metrics']['test_tokens']:,} words "
            "the models never saw): lower is better; 100 means as unsure of each next word as a fair "
            "choice among 100 words.\n\n| model | test perplexity | size |\n| --- | ---: | ---: |\n" + rows)


def read_seed(text: str) -> int:
    text = text.strip()
    if not text:
        return secrets.randbelow(SEED_RANGE)
    if not text.isdigit() or len(text) > 18:
        raise InputError(f"Seed: a whole number from 0 (up to 18 digits), or empty for a new one each "
                         f"press (got {text[:30]!r}).")
    return int(text)


def seed_note(strategy: str, seed: int) -> str:
    if strategy == "greedy":
        return "Greedy: always the likeliest word, so the same text every time."
    return (f"Sampled with seed **{seed}**: type it into Seed to get this text again; leave Seed empty for "
            "a new text each press.")


def unknown_note(lm: LanguageModel, prompt: str) -> str:
    """Which prompt words the model cannot read: each became <unk>, and the text shows that."""
    unknown = list(dict.fromkeys(t for t in lm.tokens(prompt) if t not in lm.index))
    if not unknown:
        return ""
    listed = ", ".join(f"'{html.escape(w[:30])}'" for w in unknown[:8]) + (", ..." if len(unknown) > 8 else "")
    return (f" Not among its {len(lm.vocab):,} words of 1989 news English: {listed}; it read each as `<unk>` "
            "(a word it does not know), and the text shows `<unk>` where it stood.")


def before_sending(button_id: str, result_id: str, then: str = "(...values) => values",
                   seed_at: int | None = None) -> str:
    """js= of an action, run before it is sent: where its result would start below the window's
    bottom (on a phone), the button goes to the top so that the result under it comes into view;
    an empty seed (values[seed_at]) gets its fresh one here, so that the link can hold it; then
    the values go through `then` (page_link.write_url's script)."""
    fresh = (f"if (String(values[{seed_at}]).trim() === '') "
             f"values[{seed_at}] = String(Math.floor(Math.random() * {SEED_RANGE}));" if seed_at is not None else "")
    return f"""(...values) => {{
  const button = document.getElementById({json.dumps(button_id)});
  const result = document.getElementById({json.dumps(result_id)});
  if (button && result && result.getBoundingClientRect().top > window.innerHeight - 120)
    button.scrollIntoView({{block: "start"}});
  {fresh}
  return ({then})(...values);
}}"""


def build(manifests: dict[str, dict]) -> None:
    models = served_models(manifests, TASK, LanguageModel, lambda m: list(CELL_NAMES).index(m["cell"]))
    if not models:
        gr.Markdown("No language model is installed in weights/ (expected weights/lm-lstm, lm-gru, lm-rnn).")
        return
    names = list(models)
    default = names[0]
    gated = [n for n in names if models[n].gate_names]
    labels = {n: CELL_NAMES[models[n].cell] for n in names}

    def continuation(prompt, model, max_new_tokens, strategy, temperature, top_k, top_p, seed, show_prompt):
        """Yields (the tokens shown so far: the prompt's when show_prompt, then the new ones;
        whether they start a sentence) after each new token, one growing list."""
        lm = choose(models, model)
        shown = [lm.vocab[i] for i in lm.prompt_ids(prompt)[1:]] if show_prompt else []
        sentence_start = bool(shown) or not prompt.strip()
        for token in lm.generate(prompt, int(max_new_tokens), strategy, float(temperature),
                                 int(top_k), float(top_p), int(seed)):
            shown.append(token)
            yield shown, sentence_start

    def stream(prompt: str, model: str, max_new_tokens: int, strategy: str, temperature: float,
               top_k: int, top_p: float, seed: str):
        """The UI's stream: (the text so far, the prompt's tokens first; which seed it used) every
        STREAM_EVERY_S and at the end. An empty seed: a fresh one (the page draws it first, to put it in the link)."""
        used = read_seed(seed)
        note, sent = seed_note(strategy, used) + unknown_note(choose(models, model), prompt), time.monotonic()
        for shown, sentence_start in continuation(prompt, model, max_new_tokens, strategy, temperature,
                                                  top_k, top_p, used, True):
            if time.monotonic() - sent >= STREAM_EVERY_S:
                yield detokenize(shown, sentence_start), note
                sent = time.monotonic()
        yield detokenize(shown, sentence_start), note

    def generate(prompt: str, model: str = default, max_new_tokens: int = 50, strategy: str = "greedy",
                 temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0, seed: int = 0) -> str:
        """Continuation of the prompt (Penn Treebank style: lower case, N for numbers), up to
        max_new_tokens (at most 200) words; strategy "greedy" or "sample" (temperature, top_k with
        0 = all words, top_p in (0, 1], seed: the same seed gives the same text). An empty prompt
        starts a new sentence."""
        shown, sentence_start = [], True
        for shown, sentence_start in continuation(prompt, model, max_new_tokens, strategy, temperature,
                                                  top_k, top_p, seed, False):
            pass  # the text once at the end: detokenizing after every token cost a quarter of a step
        return detokenize(shown, sentence_start)

    def next_word(prompt: str, model: str = default, topn: int = 10) -> list[dict]:
        """The topn (at most 50) most likely next words after the prompt, with their probabilities;
        <unk> (a word outside the vocabulary) is left out, <eos> is the end of the sentence."""
        return choose(models, model).next_word(prompt, int(topn))

    def perplexity(text: str, model: str = default) -> dict:
        """Perplexity of the text under the model (its tokens and a final <eos>), the number of
        tokens scored, how many words were out of the vocabulary (scored as <unk>) and "warning":
        a sentence saying so when half or more of the words were ("" otherwise; the models know
        English news words only)."""
        return choose(models, model).perplexity(text)

    def gates(prompt: str, model: str = gated[0] if gated else default) -> dict:
        """Mean gate activations per layer, prompt token and gate (LSTM: forget, input, output;
        GRU: update, reset): {"tokens", "gates", "values": [layer][token][gate]}."""
        return choose(models, model).gates(prompt)

    def token_scores(text: str, model: str = default, topn: int = 5) -> dict:
        """Every token of the text (and the <eos> that ends it) as the model saw it: {"tokens":
        [{"token", "in_vocabulary", "probability", "rank" (1: its first guess; <unk> not counted),
        "cross_entropy" (-ln probability), "alternatives": the topn (0..50) likeliest words there}],
        "perplexity": exp of the mean cross-entropy, the /perplexity of the text, "oov": words
        scored as <unk>, "warning": as /perplexity's}."""
        return choose(models, model).token_scores(text, int(topn))

    def next_word_chart(prompt: str, model: str):
        return next_word_figure(next_word(prompt, model, 10), labels.get(model, model), prompt)

    def gates_view(prompt: str, model: str) -> str:
        return gates_html(gates(prompt, model), labels.get(model, model))

    def scored_view(text: str, model: str) -> tuple[str, str]:
        """The text coloured token by token under the model, and its perplexity under each model."""
        result = token_scores(text, model, 5)
        view = scored_text_html(result, len(choose(models, model).vocab))
        # the chosen model's perplexity is the one token_scores just computed: not run again
        ppl = {n: result["perplexity"] if n == model else perplexity(text, n)["perplexity"] for n in names}
        rows = "".join(f"| {labels[n]} | {ppl[n]:.1f} |\n" for n in names)
        warning = f"**{html.escape(result['warning'])}**\n\n" if result["warning"] else ""
        return view, warning + "Your text's perplexity under each model:\n\n| model | perplexity |\n| --- | ---: |\n" + rows

    def gates_control(model: str):
        """Gates is for the gated cells only: the button is disabled, and says why, for the others,
        and the heatmap of the model before goes (it is labelled with that model's name, but
        beside "has no gates" it read as this model's)."""
        has_gates = model in gated
        return gr.Button(interactive=has_gates), gr.Markdown(visible=not has_gates), gr.update() if has_gates else None

    model_choices = [(labels[n], n) for n in names]
    gr.Markdown(INTRO)
    with gr.Row():
        with gr.Column(scale=3):
            with gr.Row():
                prompt = gr.Textbox(label="Prompt", value=EXAMPLES[0], min_width=240, max_lines=4, elem_id="lm-prompt",
                                    info="The start of a sentence; Enter generates. Empty: a new sentence.")
                model = gr.Radio(model_choices, value=default, label="Model", min_width=240, elem_id="lm-model")
            examples = example_buttons("Prompts to try (press one)", [(e, [e]) for e in EXAMPLES])
            with gr.Tabs(selected="generate") as actions:
                with gr.Tab("Generate", id="generate"):
                    with gr.Accordion("Sampling settings", open=False):
                        with gr.Row():
                            temperature = gr.Slider(0.05, 2.0, value=0.8, step=0.05, label="Temperature")
                            top_k = gr.Slider(0, 200, value=40, step=1, label="Top-k (0: all words)")
                            top_p = gr.Slider(0.05, 1.0, value=0.95, step=0.05, label="Top-p")
                            max_new = gr.Slider(1, MAX_NEW_TOKENS, value=40, step=1, label="Max new words")
                    with gr.Row():
                        strategy = gr.Radio(list(STRATEGIES), value="sample", label="Decoding", min_width=160)
                        seed = gr.Textbox("", label="Seed", min_width=160, max_lines=1, elem_id="lm-seed",
                                          placeholder="empty: a new one each press")
                        go = gr.Button("Generate", variant="primary", min_width=160, elem_id="lm-generate")
                    generate_error = status_box()
                    output = gr.Textbox(label="Text (the news as the model learned it, N for any number; capitals put back for reading)",
                                        lines=4, max_lines=12, interactive=False, elem_id="lm-output")
                    used_seed = gr.Markdown()
                with gr.Tab("Next word", id="next"):
                    predict = gr.Button("Next word", variant="primary", elem_id="lm-next-word")
                    next_error = status_box()
                    chart = gr.Plot(show_label=False, elem_id="lm-chart")
                with gr.Tab("Gates", id="gates"):
                    no_gates = gr.Markdown(f"The {CELL_NAMES['rnn']} has no gates: choose "
                                           f"{' or '.join(labels[n] for n in gated) or 'a gated model'} to "
                                           "see them.", visible=default not in gated)
                    show_gates = gr.Button("Gates", variant="primary", interactive=default in gated,
                                           elem_id="lm-gates")
                    gates_error = status_box()
                    heatmap = gr.HTML(elem_id="lm-heatmap")
            gr.Markdown("### Every word of your text, scored\nAs in GLTR (Gehrmann et al., 2019): each "
                        "word is coloured by how high it stood among the model's guesses at that point.")
            with gr.Row():
                text = gr.Textbox(label="Your text", value=SCORED_EXAMPLE, min_width=240, max_lines=6, info="Enter scores it",
                                  elem_id="lm-text")
                score_model = gr.Radio(model_choices, value=default, label="Model", min_width=240,
                                       elem_id="lm-score-model")
            score = gr.Button("Score", variant="primary", elem_id="lm-score")
            score_error = status_box()
            scored = gr.HTML(css_template=TOKENS_CSS, js_on_load=TOOLTIP_JS, elem_id="lm-scored")
            scores = gr.Markdown()
        with gr.Column(scale=2):
            gr.Markdown("### The models")
            for m in (models[n].manifest for n in names):
                gr.Markdown(summary(m))
            gr.Markdown(perplexity_table([models[n].manifest for n in names]))
            gr.Markdown(BACKGROUND)
            with gr.Accordion("How they were trained", open=False):
                for m in (models[n].manifest for n in names):
                    gr.Markdown(training_details(m))

    controls = [prompt, model, max_new, strategy, temperature, top_k, top_p, seed]
    generated, charted, gated_view = inline(stream, 2), inline(next_word_chart, 1), inline(gates_view, 1)
    results = [output, used_seed, generate_error, chart, next_error, heatmap, gates_error]
    generating = before_sending("lm-generate", "lm-output", page_link.write_url(TAB, URL_KEYS), controls.index(seed))
    actions_ui = [  # (trigger events, function, inputs, outputs and their status box, js before sending, name)
        ([go.click, prompt.submit, seed.submit], generated, controls, results[:3], generating, "generate_page"),
        ([predict.click], charted, [prompt, model], results[3:5],
         before_sending("lm-next-word", "lm-chart", page_link.write_url(TAB, URL_KEYS[:2])), "next_word_page"),
        ([show_gates.click], gated_view, [prompt, model], results[5:],
         before_sending("lm-gates", "lm-heatmap", page_link.write_url(TAB, URL_KEYS[:2])), "gates_page"),
        ([score.click, text.submit, score_model.input], inline(scored_view, 2), [text, score_model], [scored, scores, score_error],
         before_sending("lm-score", "lm-scored"), "perplexity_page"),
    ]

    def opened(*values):
        """What the page shows when it opens, from a link or the defaults: the generation, and the
        next-word chart and the gates for the same prompt (none for a model without gates)."""
        prompt, model = values[:2]
        rest = [*charted(prompt, model), *(gated_view(prompt, model) if model in gated else [None, gr.update()])]
        for answer in generated(*values):
            yield [*answer, *rest]

    first_answer = page_link.answer_on_load(TAB, URL_KEYS, [c.value for c in controls], opened, controls, results)
    for triggers, fn, inputs, outputs, js, name in actions_ui:
        # a generation asked for while the page's first one streams replaces it
        gr.on(triggers, fn, inputs, outputs, js=js, api_name=name, api_visibility="private",
              cancels=[first_answer] if name == "generate_page" else None)
    # a model chosen answers at once, as the page does when it opens: otherwise the results of the
    # model before it stay under the new choice until a button is pressed
    model.input(opened, controls, results, js=generating, cancels=[first_answer], api_visibility="private")
    answer_examples(examples, opened, controls, results, then=generating, cancels=[first_answer],
                    api_visibility="private")
    on_page_load(inline(scored_view, 2), [text, score_model], [scored, scores, score_error], api_visibility="private")
    prompt.submit(lambda: gr.Tabs(selected="generate"), None, actions, queue=False, api_visibility="private")
    model.change(gates_control, model, [show_gates, no_gates, heatmap], queue=False, api_visibility="private")
    gr.api(generate, api_name="generate")
    gr.api(next_word, api_name="next_word")
    gr.api(perplexity, api_name="perplexity")
    gr.api(gates, api_name="gates")
    gr.api(token_scores, api_name="token_scores")
