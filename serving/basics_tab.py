"""The "Basics" tab and its API (/output_layer, /forward_backward, /train_network): from one neuron
to a trained network, with the forward pass, the loss, gradient descent and the chain rule live;
then how the app's NLP models use the same pieces. The Playground's set-up lives in the page's
URL (query parameters), so that a configuration can be shared."""
import math
import re

import gradio as gr

from serving import basics, basics_graph, page_link
from serving.basics import ACTIVATIONS
from serving.basics_plots import data_figure, loss_figure
from serving.basics_training import (
    DATASETS,
    DEFAULTS,
    HIDDEN_ALLOWED,
    MAX_LAYERS,
    MAX_LEARNING_RATE,
    MAX_NEURONS,
    OUTPUTS,
    RECORDS,
    SUGGESTED,
    boundary,
    collapse_note,
    fitted_curve,
    points,
    run_to_end,
    train,
)
from serving.errors import InputError
from serving.gradio_internals import on_page_load
from serving.inline_errors import inline, status_box
from serving.plain_words import counted

FRAMES = 10   # pictures streamed per run, besides the last (each costs the server ~25 ms)
TAB = "Basics"
# the Playground's controls as named in the URL (page_link's "ba_" keys), in the order of the Train button's inputs
SETTINGS = ("dataset", "noise", "test", "hidden", "activation", "output", "lr", "batch", "steps", "seed")
URL_KEYS = page_link.keys("ba", SETTINGS)
GRAPH_START = {"x": [0.5, -1.0], "target": 1.0, "hidden": [0.8, -0.4, 0.1, 0.3, 0.9, -0.2],
               "out": [1.2, -0.7, 0.05], "learning_rate": 0.5}
GRAPH_HELP = ("Each arrow carries its local derivative (its head with respect to its tail). The backward "
              "pass starts at L with gradient 1; a node's gradient is the sum, over its arrows out, of the "
              "gradient at the arrow's head times the arrow's number: the chain rule.")
CHAIN_RULE_COLUMNS = ["80px", "80px", "90px", "420px"]   # wider than a phone: the table scrolls
GRAPH_OUTPUTS = {"sigmoid": "sigmoid + cross-entropy", "linear": "linear + squared error"}
# a bad setting leaves the picture and the loss curves of the last run (of playground_stream's
# status, picture and curves): only the status is cleared
KEPT_ON_ERROR = (1, 2)
OTHER_TABS = {"word-vectors": "Word vectors", "language-model": "Language model", "sentiment": "Sentiment"}


def parse_hidden(text: str) -> list[int]:
    parts = [p for p in re.split(r"[,\s]+", str(text).strip()) if p]
    if not all(p.isdigit() for p in parts):
        raise InputError(f"Hidden layers: give each layer's number of neurons, separated by commas, "
                          f"e.g. 8, 8 (got {text!r}); allowed: {HIDDEN_ALLOWED} (empty: none).")
    return [int(p) for p in parts]


def setup_from_query(query: str) -> tuple[list, list[str]]:
    """The Playground's control values from a URL's query string, and the names of those it
    could not use (they keep their defaults)."""
    given = {k: v for k, v in zip(SETTINGS, page_link.given(query, URL_KEYS)) if v is not None}
    defaults = {"dataset": DEFAULTS["dataset"], "noise": DEFAULTS["noise"], "test": DEFAULTS["test_fraction"],
                "hidden": ", ".join(map(str, DEFAULTS["hidden"])), "activation": DEFAULTS["activation"],
                "output": DEFAULTS["output"], "lr": DEFAULTS["learning_rate"], "batch": DEFAULTS["batch_size"],
                "steps": DEFAULTS["steps"], "seed": DEFAULTS["seed"]}
    readers = {"dataset": lambda v: v if v in DATASETS else None, "activation": lambda v: v if v in ACTIVATIONS else None,
               "output": lambda v: v if v in OUTPUTS else None, "hidden": lambda v: ", ".join(map(str, parse_hidden(v))),
               "noise": float, "test": float, "lr": float, "batch": int, "steps": int, "seed": int}
    values, ignored = [], []
    for key in SETTINGS:
        try:
            value = readers[key](given[key]) if key in given else defaults[key]
        except ValueError:
            value = None
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            ignored.append(key)
            value = defaults[key]
        values.append(value)
    return values, ignored


def pictured(weights, biases, activation: str, output: str) -> tuple:
    """(boundary, curve) for data_figure: the network's picture so far."""
    if output == "linear":
        return None, fitted_curve(weights, biases, activation)
    return boundary(weights, biases, activation, output), None


def summary(result: dict, steps: int, note: str) -> str:
    if result.get("test_accuracy") is not None:
        line = (f"**Test accuracy {100 * result['test_accuracy']:.1f}%** (train {100 * result['train_accuracy']:.1f}%) "
                f"after {counted(steps, 'step')}.")
    else:
        line = f"**Test mean squared error {result['test_mse']:.4f}** (train {result['train_mse']:.4f}) after {counted(steps, 'step')}."
    picture = ("The background is the network's answer at each point, tinted by its probabilities; filled dots "
               "are training points, hollow ones test points." if result.get("boundary") else
               "The line is the network's answer; filled dots are training points, hollow ones test points.")
    return f"{line} {picture}" + (f"\n\n{note}" if note else "")


def playground_stream(dataset, noise, test_share, hidden, activation, output, learning_rate, batch_size, steps, seed):
    """The Train button: (status, picture, loss curves) every few steps, the boundary (or the
    fitted curve) drawn as the network learns, then once more with the accuracies."""
    numbers = {"noise": noise, "test share": test_share, "learning rate": learning_rate, "batch": batch_size,
               "steps": steps, "seed": seed}
    if missing := [name for name, value in numbers.items() if value is None]:
        raise InputError(f"Fill in the {' and the '.join(missing)}.")
    hidden = parse_hidden(hidden)
    setup = (dataset, hidden, activation, output, float(learning_rate), int(batch_size), int(steps),
             float(noise), int(seed), float(test_share))
    split_points = points(dataset, float(noise), int(seed), float(test_share)) if dataset in DATASETS else None
    run = train(*setup)
    every, shown = max(1, min(RECORDS, int(steps)) // FRAMES), 0
    while True:
        try:
            step, weights, biases, progress = next(run)
        except StopIteration as end:
            result = end.value
            break
        shown += 1
        if shown % every == 0:
            yield (f"Training: step {step:,} of {int(steps):,}, loss {progress['train_loss'][-1]:.3f} (train), "
                   f"{progress['test_loss'][-1]:.3f} (test)",
                   data_figure(split_points, *pictured(weights, biases, activation, output),
                               title=f"Step {step:,}"),
                   loss_figure(progress))
    note = collapse_note(result, *setup)
    yield (summary(result, int(steps), note),
           data_figure(split_points, result["boundary"], result["curve"], title=f"After {counted(int(steps), 'step')}"),
           loss_figure(result))


def build_playground(demo_load):
    with gr.Row():
        with gr.Column(scale=2, min_width=300):
            # the controls kept short, so that Train stays above the fold at 1400x900
            dataset = gr.Radio([(label, key) for key, label in DATASETS.items()], value=DEFAULTS["dataset"],
                               label="Data set")
            with gr.Row():
                noise = gr.Slider(0, 0.5, value=DEFAULTS["noise"], step=0.01, label="Noise", min_width=120)
                test_share = gr.Slider(0.1, 0.9, value=DEFAULTS["test_fraction"], step=0.05,
                                       label="Test share", min_width=120)
            with gr.Row():
                hidden = gr.Textbox(", ".join(map(str, DEFAULTS["hidden"])), label="Hidden layers", max_lines=2,
                                    info=f"neurons in each: 0-{MAX_LAYERS} layers of 1-{MAX_NEURONS}", min_width=120)
                activation = gr.Radio(list(ACTIVATIONS), value=DEFAULTS["activation"], label="Activation", min_width=200)
            output = gr.Dropdown([(label, key) for key, label in OUTPUTS.items()], value=DEFAULTS["output"],
                                 label="Output layer and loss")
            with gr.Row():
                learning_rate = gr.Number(DEFAULTS["learning_rate"], label="Learning rate", min_width=80)
                batch_size = gr.Number(DEFAULTS["batch_size"], precision=0, label="Batch", min_width=80)
                steps = gr.Number(DEFAULTS["steps"], precision=0, label="Steps", min_width=80)
                seed = gr.Number(DEFAULTS["seed"], precision=0, label="Seed", min_width=80)
            go = gr.Button("Train", variant="primary", elem_id="playground-train")
        with gr.Column(scale=3, min_width=300):
            train_error = status_box()
            status = gr.Markdown("Press **Train**: the boundary and the loss curves follow the network as it learns. "
                                 "The spiral has 3 classes; the curve is numbers to fit (regression).",
                                 elem_id="playground-status")
            with gr.Row():
                picture = gr.Plot(data_figure(points(DEFAULTS["dataset"], DEFAULTS["noise"], DEFAULTS["seed"],
                                                     DEFAULTS["test_fraction"]), title="The data"),
                                  label="Data and decision boundary", show_label=False, min_width=280,
                                  elem_id="playground-picture")
                curves = gr.Plot(loss_figure({"steps": [], "train_loss": [], "test_loss": []},
                                             title="Loss curves: press Train"),
                                 label="Loss curves", show_label=False, min_width=280, elem_id="playground-curves")
            link = gr.Textbox(label="Link to this set-up", buttons=["copy"], interactive=False, max_lines=6,
                              info="The address bar holds it too.", elem_id="playground-link")

    controls = [dataset, noise, test_share, hidden, activation, output, learning_rate, batch_size, steps, seed]

    def preview(dataset, noise, test_share, seed):
        if dataset not in DATASETS:
            return gr.skip()
        return data_figure(points(dataset, float(noise), int(seed), float(test_share)), title="The data")

    def suggest(dataset):
        """Picking a data set picks the output layer it needs (and a learning rate that suits it)."""
        chosen = {"output": DEFAULTS["output"], "learning_rate": DEFAULTS["learning_rate"], **SUGGESTED.get(dataset, {})}
        return chosen["output"], chosen["learning_rate"]

    def from_link(query):
        if not any(page_link.given(query, URL_KEYS)):   # a plain visit: leave the page as it is
            return [gr.skip()] * (len(controls) + 1)
        values, ignored = setup_from_query(query)
        message = (f"Some settings in the link were not understood and kept their defaults: {', '.join(ignored)}."
                   if ignored else gr.skip())
        return [*values, message]

    go.click(inline(playground_stream, 3, keep=KEPT_ON_ERROR), controls, [status, picture, curves, train_error], api_visibility="private")
    go.click(None, controls, link, js=page_link.write_url(TAB, URL_KEYS, then="address"))   # the defaults too
    dataset.input(suggest, dataset, [output, learning_rate], api_visibility="private")
    gr.on([c.change for c in (dataset, noise, test_share, seed)], preview, [dataset, noise, test_share, seed],
          picture, api_visibility="private")
    gr.on([c.change for c in controls], None, controls, link, js=page_link.write_url(TAB, URL_KEYS, then="address"))
    query = gr.Textbox(visible=False)
    demo_load(from_link, query, [*controls, status], js="() => [window.location.search]", api_visibility="private")




def build_graph():
    start = GRAPH_START

    def explained(network, activation, output, x1, x2, target, numbers):
        weights, biases = basics_graph.parameters(network, numbers[:6], numbers[6:])
        return weights, biases, basics_graph.explain(network, [x1, x2], weights, biases,
                                                activation, output, float(target))

    def drawn(network, e):
        return basics_graph.figure(e, network), e["node_rows"], e["parameter_rows"]

    def show(network, activation, output, x1, x2, target, *numbers):
        e = explained(network, activation, output, x1, x2, target, list(numbers))[2]
        return (f"**Loss {e['loss']:.4f}.** {GRAPH_HELP}", *drawn(network, e))

    def one_step(network, activation, output, x1, x2, target, learning_rate, *numbers):
        if not 0 < learning_rate <= MAX_LEARNING_RATE:
            raise gr.Error(f"The learning rate must be above 0 and at most {MAX_LEARNING_RATE:g}.")
        weights, biases, before = explained(network, activation, output, x1, x2, target, list(numbers))
        weights, biases = basics_graph.step(weights, biases, before, learning_rate)
        moved = [round(v, 4) for v in basics_graph.numbers(network, weights, biases, list(numbers[:6]))]
        after = explained(network, activation, output, x1, x2, target, moved)[2]
        return (f"**One step at learning rate {learning_rate:g}: loss {before['loss']:.4f} → {after['loss']:.4f}.** "
                "Every parameter moved against its gradient: new value = value - learning rate × gradient "
                "(the parameter fields now hold the new values).", *drawn(network, after), *moved)

    def relabel(network):
        names = ["w1", "w2", "b"] if network == "one neuron" else ["v1", "v2", "c"]
        return [gr.Row(visible=network == "2-2-1"), gr.Row(visible=network == "2-2-1"),
                *[gr.Number(label=basics_graph.sub(n)) for n in names]]

    with gr.Row():
        with gr.Column(scale=2, min_width=300):
            # five short rows and the button: "One step" stays above the fold at 1400x900
            with gr.Row():
                network = gr.Radio(list(basics_graph.NETWORKS), value="2-2-1", label="Network", min_width=200)
                activation = gr.Dropdown(list(ACTIVATIONS), value="tanh", label="Hidden activation", min_width=110)
                learning_rate = gr.Number(start["learning_rate"], label="Learning rate", min_width=90)
            with gr.Row():
                output = gr.Dropdown([(label, key) for key, label in GRAPH_OUTPUTS.items()], value="sigmoid",
                                     label="Output and loss", min_width=210)
                x1 = gr.Number(start["x"][0], label="input x₁", min_width=70)
                x2 = gr.Number(start["x"][1], label="input x₂", min_width=70)
                target = gr.Number(start["target"], label="target y", min_width=70)
            hidden_rows, hidden = [], []
            for neuron in range(2):
                with gr.Row() as row:
                    names = [f"w{neuron + 1}1", f"w{neuron + 1}2", f"b{neuron + 1}"]
                    hidden += [gr.Number(v, label=basics_graph.sub(n), min_width=70)
                               for n, v in zip(names, start["hidden"][3 * neuron:3 * neuron + 3])]
                hidden_rows.append(row)
            with gr.Row():
                out = [gr.Number(v, label=basics_graph.sub(n), min_width=70) for n, v in zip(["v1", "v2", "c"], start["out"])]
            go = gr.Button("One step", variant="primary", elem_id="graph-step")   # alone, so that on a phone the result is right under it
        with gr.Column(scale=3, min_width=300):
            first = show("2-2-1", "tanh", "sigmoid", *start["x"], start["target"], *start["hidden"], *start["out"])
            status = gr.Markdown(first[0], elem_id="graph-status")
            picture = gr.Plot(first[1], show_label=False, elem_id="graph-picture")
            node_table = gr.Dataframe(first[2], headers=["node", "value", "gradient", "chain rule"],
                                      label="Backward pass, from the loss up", interactive=False, wrap=True,
                                      column_widths=CHAIN_RULE_COLUMNS)
            parameter_table = gr.Dataframe(first[3], headers=["parameter", "value", "gradient", "chain rule"],
                                           label="Gradients of the parameters", interactive=False, wrap=True,
                                           column_widths=CHAIN_RULE_COLUMNS)

    setting = [network, activation, output, x1, x2, target]
    numbers = hidden + out
    shown = [status, picture, node_table, parameter_table]
    network.input(relabel, network, [*hidden_rows, *out], api_visibility="private").then(
        show, setting + numbers, shown, api_visibility="private")
    gr.on([c.input for c in setting[1:] + numbers], show, setting + numbers, shown, trigger_mode="always_last",
          api_visibility="private")
    go.click(one_step, setting + [learning_rate] + numbers, shown + numbers, api_visibility="private")


# short headers and three decimals, so that five columns fit a 390 px phone without sideways
# scrolling; the target y beside p shows softmax's ∂CE/∂z as p - y row by row
OUTPUT_COLUMNS = ["target", "outputs", "cross_entropy_gradient", "mse_gradient"]
OUTPUT_HEADERS = {"sigmoid": ["z", "y", "p", "∂BCE/∂z", "∂MSE/∂z"], "softmax": ["z", "y", "p", "∂CE/∂z", "∂MSE/∂z"]}
OUTPUT_WIDTHS = ["16%", "11%", "19%", "27%", "27%"]   # of the table's width: 324 px on a phone
OUTPUT_LABELS = {"sigmoid": "Sigmoid, p = σ(z) for each logit z: each unit its own yes/no probability",
                 "softmax": "Softmax, p = softmax(z): the units share a probability of 1"}


def output_rows(logits: list[float], result: dict) -> list[list]:
    """One row per unit: the logit, its target, the output and each loss's gradient with respect
    to the logit."""
    if not result:
        return []
    return [[round(z, 3), *[round(result[key][i], 3) + 0.0 for key in OUTPUT_COLUMNS]]   # + 0.0: no "-0"
            for i, z in enumerate(logits)]


def build_outputs():
    def compare(logits_text, target_text):
        logits = parse_numbers(logits_text, "Logits")
        target_numbers = parse_numbers(target_text, "Target")
        target = target_numbers[0] if len(target_numbers) == 1 else target_numbers
        results, problems = {}, []
        for output in ("sigmoid", "softmax"):
            try:
                results[output] = basics.output_layer(logits, target, output)
            except InputError as err:
                results[output], problems = {}, problems + [f"{output}: {err}"]
        if not any(results.values()):
            raise InputError(" ".join(problems))
        return (output_summary(results, problems), output_rows(logits, results["sigmoid"]),
                output_rows(logits, results["softmax"]))

    with gr.Row():
        with gr.Column(scale=2, min_width=300):
            logits = gr.Textbox("2.0, 1.0, 0.1", label="Logits", max_lines=2,
                                info="the last layer's weighted sums, one per class")
            target = gr.Textbox("0", label="Target", max_lines=2,
                                info="a class index (0 is the first logit), or one number per logit, e.g. 1, 0, 0")
            go = gr.Button("Compare", variant="primary", elem_id="losses-compare")
        with gr.Column(scale=3, min_width=300):
            first = compare("2.0, 1.0, 0.1", "0")
            compare_error = status_box()
            verdict = gr.Markdown(first[0], elem_id="losses-verdict")
            tables = [gr.Dataframe(rows, headers=OUTPUT_HEADERS[output], interactive=False,
                                   label=OUTPUT_LABELS[output], column_widths=OUTPUT_WIDTHS)
                      for rows, output in ((first[1], "sigmoid"), (first[2], "softmax"))]
    for event in (go.click, logits.submit, target.submit):
        event(inline(compare, 3), [logits, target], [verdict, *tables, compare_error], api_visibility="private")


def parse_numbers(text: str, name: str) -> list[float]:
    parts = [p for p in re.split(r"[,\s]+", str(text).strip()) if p]
    try:
        if parts:
            return [float(p) for p in parts]
    except ValueError:
        pass
    raise InputError(f"{name}: give numbers separated by commas, e.g. 2.0, 1.0, 0.1 (got {text!r}).")


def output_summary(results: dict, problems: list[str]) -> str:
    def cell(output, key):
        value = results[output].get(key)
        return "-" if value is None else f"{value:.4f}"

    target = next(r["target"] for r in results.values() if r)
    lines = [f"Target y = ({', '.join(f'{v:g}' for v in target)}).", "",
             # a row per output layer: the headers' words are short enough for a phone's columns
             "| output layer | mean squared error | cross-entropy |", "| --- | --- | --- |",
             *[f"| {output} | {cell(output, 'mse')} | {cell(output, 'cross_entropy')} |" for output in ("sigmoid", "softmax")],
             ""]
    lines.append("With softmax and cross-entropy the gradient with respect to the logits is exactly **p - y** "
                 "(in the softmax table, ∂CE/∂z is p minus y on every row): the error itself, however sure "
                 "the network was. The squared error's gradient also carries the output's slope, which fades "
                 "where a sigmoid saturates: try logits of 8 or -8.")
    units = len(target)
    if units > 1 and results["sigmoid"]:
        lines.append(f"\nWith sigmoids each unit is its own yes/no question, and the binary cross-entropy is "
                     f"their mean over the {units} units: in the sigmoid table ∂BCE/∂z is (p - y) / {units}.")
    return "\n".join(lines + [f"\n{p}" for p in problems])


def bridge_text(manifests: dict[str, dict]) -> str:
    """How the app's models use this tab's pieces, with the numbers their manifests carry."""
    lms = [m for m in manifests.values() if m["task"] == "language-model"]
    vectors = [m for m in manifests.values() if m["task"] == "word-vectors" and "negative" in m["hyperparameters"]]
    lines = []
    if lms:
        lm = min(lms, key=lambda m: m["metrics"]["test_perplexity"])
        ppl = lm["metrics"]["test_perplexity"]
        lines += [f"- **{OTHER_TABS['language-model']}**: a language model's last layer is a softmax over its "
                  f"{lm['hyperparameters']['vocab_size']:,} words, the output layer of the Losses part with one "
                  "logit per word; its next-word list is the top of that softmax, and it was trained with the "
                  "cross-entropy of the word that came next, the loss whose gradient is p - y.",
                  f"- **Perplexity is exp(mean cross-entropy)**: {lm['name']}'s test perplexity {ppl:g} is a "
                  f"mean cross-entropy of ln {ppl:g} = {math.log(ppl):.2f} nats per word, as unsure as a fair "
                  f"choice among {ppl:.0f} words."]
    if vectors:
        negative = vectors[0]["hyperparameters"]["negative"]
        lines.append(f"- **{OTHER_TABS['word-vectors']}**: word2vec's negative sampling is a sigmoid with binary cross-entropy: "
                     "the dot product of a word's vector and a neighbour's is a logit, trained towards 1 for the "
                     f"real neighbour and towards 0 for {negative} random words, instead of a softmax over the "
                     "whole vocabulary.")
    sentiment = [m for m in manifests.values() if m["task"] == "sentiment"]
    if sentiment:
        lines.append(f"- **{OTHER_TABS['sentiment']}**: the CNN's filters are ReLU neurons sliding over the words; each "
                     "model's last layer is a softmax trained with cross-entropy, over " + label_sets(sentiment) + ".")
    return ("Everything in this app is built from these pieces: weighted sums, activations, an output layer, a "
            "loss, and gradients from the chain rule.\n\n" + "\n".join(lines))


def label_sets(sentiment: list[dict]) -> str:
    """The labels the sentiment models' softmax is over, each set with the models that use it:
    "negative and positive (sentiment-cnn, sentiment-bilstm) or SST-1's 5 labels from very negative
    to very positive (sentiment-cnn-sst1)"."""
    models = {}
    for m in sentiment:
        models.setdefault(tuple(m["hyperparameters"]["labels"]), []).append(m)

    def words(labels: tuple, ms: list[dict]) -> str:
        sst1 = "SST-1's " if all("sst1_test_accuracy" in m["metrics"] for m in ms) else ""
        said = " and ".join(labels) if len(labels) == 2 else f"{sst1}{len(labels)} labels from {labels[0]} to {labels[-1]}"
        return f"{said} ({', '.join(m['name'] for m in ms)})"
    return " or ".join(words(labels, ms) for labels, ms in sorted(models.items(), key=lambda item: len(item[0])))


def build_bridge(manifests: dict[str, dict]):
    gr.Markdown(bridge_text(manifests))
    served = {m["task"] for m in manifests.values()}
    with gr.Row():
        for task, tab in OTHER_TABS.items():
            if task in served:
                gr.Button(f"Open {tab}", size="md").click(None, js=page_link.select_tab(tab))


def output_layer(logits: list[float], target: float | list[float] = 0, output: str = "softmax") -> dict:
    """An output layer ("linear", "sigmoid" or "softmax") on the logits, against the target (a class
    index, or one number per logit): {"outputs", "target", "mse", "mse_gradient", "cross_entropy",
    "cross_entropy_gradient", "p_minus_y"}, the gradients with respect to the logits
    (cross-entropy is None for a linear output)."""
    return basics.output_layer(logits, target, output)


def forward_backward(x: list[float], weights: list[list[list[float]]], biases: list[list[float]],
                     activation: str = "tanh", output: str = "sigmoid", target: float | list[float] = 1.0) -> dict:
    """One example through a fully connected network, weights[layer][neuron][input] and
    biases[layer][neuron] (the last layer is the output layer): {"loss", "outputs", "layers": [{"name",
    "values", "gradients", and for all but the input "sums", "sum_gradients"}], "weight_gradients",
    "bias_gradients"} (nested as given)."""
    return basics.forward_backward(x, weights, biases, activation, output, target)


def train_network(dataset: str = DEFAULTS["dataset"], hidden: list[int] = DEFAULTS["hidden"],
                  activation: str = DEFAULTS["activation"], output: str = DEFAULTS["output"],
                  learning_rate: float = DEFAULTS["learning_rate"], batch_size: int = DEFAULTS["batch_size"],
                  steps: int = DEFAULTS["steps"], noise: float = DEFAULTS["noise"], seed: int = DEFAULTS["seed"],
                  test_fraction: float = DEFAULTS["test_fraction"]) -> dict:
    """Train a network on a toy data set (circle, xor, gaussians, spiral, curve) by minibatch gradient
    descent: {"steps", "train_loss", "test_loss", "train_accuracy", "test_accuracy" (or "train_mse",
    "test_mse" for the curve), "boundary": {"x", "y", "probabilities": [row][column][class]} (None for
    the curve), "curve" (the fitted curve, or None), "points", "weights", "biases", "note"}."""
    setup = (dataset, hidden, activation, output, learning_rate, batch_size, steps, noise, seed, test_fraction)
    result = run_to_end(*setup)
    return {**result, "note": collapse_note(result, *setup)}


def build(manifests: dict[str, dict]) -> None:
    load = on_page_load
    gr.Markdown("**Playground**: a network learns toy data. **Graph**: one example, forward and backward. "
                "**Losses**: output layers side by side. **To NLP**: the same pieces in this app's models.")
    with gr.Tabs():
        with gr.Tab("Playground", elem_id="basics-playground"):
            build_playground(load)
        with gr.Tab("Graph", elem_id="basics-graph"):
            build_graph()
        with gr.Tab("Losses", elem_id="basics-losses"):
            build_outputs()
        with gr.Tab("To NLP", elem_id="basics-to-nlp"):
            build_bridge(manifests)
    gr.api(output_layer, api_name="output_layer")
    gr.api(forward_backward, api_name="forward_backward")
    gr.api(train_network, api_name="train_network")
