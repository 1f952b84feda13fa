"""The Basics tab's numbers: the hand-written backward pass against torch.autograd (float64) and
finite differences for every activation, output layer and loss; the linear-activation collapse;
the Playground's bounds and messages; streaming; the To NLP part's words; and the three endpoints
on the real server."""
from urllib.parse import urlencode

import gradio as gr
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from gradio_client.exceptions import AppError

from export.bench_basics import SHAPES, gradient_difference, random_network, shapes_for, torch_pass
from serving import basics, basics_graph, basics_tab
from serving.basics import ACTIVATIONS, OUTPUTS
from serving.errors import InputError
from serving.inline_errors import inline
from serving.basics_training import DEFAULTS, HIDDEN_ALLOWED, SUGGESTED, check_setup, collapse_note, run_to_end

TOLERANCE = 1e-9
SEEDS = range(5)


def max_diff(ours, theirs) -> float:
    return float(np.max(np.abs(np.asarray(ours) - theirs.detach().numpy())))


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("output", OUTPUTS)
@pytest.mark.parametrize("shape", range(len(SHAPES)))
def test_backward_pass_matches_torch_autograd(activation, output, shape):
    """Loss, forward values, dL/dx, every layer's dL/dz and dL/da, every weight and bias."""
    sizes = shapes_for(output)[shape]
    for batch in (1, 5):
        assert gradient_difference(sizes, activation, output, seed=shape, batch=batch) <= TOLERANCE


@pytest.mark.parametrize("output", OUTPUTS)
def test_gradient_at_the_output_node_matches_torch(output):
    """dL/doutputs (the p node in the graph), against torch's loss written on the outputs."""
    units = 1 if output != "softmax" else 4
    x, weights, biases, targets = random_network([3, units], 7, batch=6, output=output)
    layers = basics.forward(x, weights, biases, "tanh", output)
    ours = basics.backward(layers, weights, targets, "tanh", output)["values"][-1]
    p = torch.tensor(layers[-1][1], requires_grad=True)
    y = torch.tensor(targets)
    loss = (F.mse_loss(p, y) if output == "linear" else F.binary_cross_entropy(p, y) if output == "sigmoid"
            else -(y * torch.log(p)).sum(dim=1).mean())
    loss.backward()
    assert max_diff(ours, p.grad) <= TOLERANCE


@pytest.mark.parametrize("output", OUTPUTS)
@pytest.mark.parametrize("logits, target", [([2.0, 1.0, 0.1], 0), ([-3.0, 0.5, 4.0, 1.0], [0.1, 0.2, 0.3, 0.4]),
                                            ([0.7], 1.0), ([8.0, -8.0], 1)])
def test_output_layer_losses_and_gradients_match_torch(output, logits, target):
    if output == "softmax" and len(logits) == 1:
        pytest.skip("a softmax over one logit is always 1")
    result = basics.output_layer(logits, target, output)
    z = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    y = torch.tensor(result["target"], dtype=torch.float64)
    p = {"linear": lambda v: v, "sigmoid": torch.sigmoid, "softmax": lambda v: torch.softmax(v, 0)}[output](z)
    mse = F.mse_loss(p, y)
    (mse_grad,) = torch.autograd.grad(mse, z)
    assert abs(result["mse"] - mse.item()) <= TOLERANCE
    assert max_diff(result["mse_gradient"], mse_grad) <= TOLERANCE
    assert max_diff(result["outputs"], p) <= TOLERANCE
    if output == "linear":
        assert result["cross_entropy"] is None and result["cross_entropy_gradient"] is None
        return
    ce = (F.binary_cross_entropy_with_logits(z, y) if output == "sigmoid" else F.cross_entropy(z[None], y[None]))
    (ce_grad,) = torch.autograd.grad(ce, z)
    assert abs(result["cross_entropy"] - ce.item()) <= TOLERANCE
    assert max_diff(result["cross_entropy_gradient"], ce_grad) <= TOLERANCE
    if output == "softmax":   # the point the tab makes: softmax with cross-entropy gives p - y
        assert result["cross_entropy_gradient"] == pytest.approx(result["p_minus_y"], abs=1e-15)


def test_forward_backward_endpoint_function_nests_as_given_and_matches_torch():
    x, weights, biases, targets = random_network([2, 3, 2, 3], 11, batch=1, output="softmax")
    result = basics.forward_backward(x[0].tolist(), [w.tolist() for w in weights], [b.tolist() for b in biases],
                                     "relu", "softmax", int(targets[0].argmax()))
    loss, ws, bs, kept = torch_pass(x, weights, biases, targets, "relu", "softmax")
    assert abs(result["loss"] - loss.item()) <= TOLERANCE
    assert [np.shape(g) for g in result["weight_gradients"]] == [w.shape for w in weights]
    assert [np.shape(g) for g in result["bias_gradients"]] == [b.shape for b in biases]
    assert max(max_diff([g], w.grad) for g, w in zip(result["weight_gradients"], ws)) <= TOLERANCE
    assert [n["name"] for n in result["layers"]] == ["input", "hidden 1", "hidden 2", "output"]
    assert max_diff([result["layers"][0]["gradients"]], kept[0][1].grad) <= TOLERANCE
    assert max_diff([result["layers"][2]["sum_gradients"]], kept[2][0].grad) <= TOLERANCE


@pytest.mark.parametrize("activation", ["linear", "sigmoid", "tanh"])
@pytest.mark.parametrize("output", OUTPUTS)
def test_backward_pass_matches_finite_differences(activation, output):
    """Central differences on every weight and bias (ReLU's kink is left to the torch test)."""
    sizes = [2, 3, 3] if output == "softmax" else [2, 3, 1]
    x, weights, biases, targets = random_network(sizes, 3, batch=4, output=output)
    grads = basics.backward(basics.forward(x, weights, biases, activation, output), weights, targets, activation, output)

    def loss():
        return basics.loss(basics.forward(x, weights, biases, activation, output)[-1][0], targets, output)

    h = 1e-6
    for params, params_grads in ((weights, grads["weights"]), (biases, grads["biases"])):
        for p, g in zip(params, params_grads):
            for index in np.ndindex(p.shape):
                keep = p[index]
                p[index] = keep + h
                up = loss()
                p[index] = keep - h
                down = loss()
                p[index] = keep
                assert (up - down) / (2 * h) == pytest.approx(g[index], abs=1e-7)


def test_linear_layers_are_one_linear_map():
    """Why the collapse happens: with the linear activation the network equals x W + b for the
    product of its weight matrices."""
    x, weights, biases, _ = random_network([2, 8, 8, 1], 5, batch=10, output="linear")
    stacked = basics.forward(x, weights, biases, "linear", "linear")[-1][1]
    w, b = np.eye(2), np.zeros(2)
    for layer_w, layer_b in zip(weights, biases):
        w, b = layer_w @ w, layer_w @ b + layer_b
    np.testing.assert_allclose(stacked, x @ w.T + b, atol=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_xor_needs_a_nonlinear_activation(seed):
    """At the default settings: a linear-activation network stays at chance on xor (and the tab
    says why), tanh with one hidden layer of 4 separates it."""
    linear = dict(DEFAULTS, activation="linear", seed=seed)
    collapsed = run_to_end(**linear)
    assert collapsed["test_accuracy"] <= 0.60
    assert "no better than logistic regression" in collapse_note(collapsed, *linear.values())
    tanh = dict(DEFAULTS, hidden=[4], seed=seed)
    separated = run_to_end(**tanh)
    assert separated["test_accuracy"] >= 0.95
    assert collapse_note(separated, *tanh.values()) == ""


def test_every_data_set_trains_with_its_suggested_output():
    for dataset, accuracy_or_mse in [("circle", 0.9), ("gaussians", 0.95), ("spiral", 0.85), ("curve", 0.1)]:
        setup = dict(DEFAULTS, dataset=dataset, **SUGGESTED.get(dataset, {}))
        result = run_to_end(**setup)
        if dataset == "curve":
            assert result["test_mse"] < accuracy_or_mse and result["boundary"] is None and len(result["curve"]["x"]) > 50
        else:
            assert result["test_accuracy"] >= accuracy_or_mse and result["curve"] is None
        assert len(result["train_loss"]) == len(result["test_loss"]) == len(result["steps"]) == 100


@pytest.mark.parametrize("change, message", [
    ({"hidden": [4, 0]}, f"Hidden layer 2 has no neurons .*allowed: {HIDDEN_ALLOWED}"),
    ({"hidden": [4, 4, 4, 4]}, f"At most 3 hidden layers .*allowed: {HIDDEN_ALLOWED}"),
    ({"hidden": [9]}, f"at most 8; allowed: {HIDDEN_ALLOWED}"),
    ({"learning_rate": 0.0}, "must be above 0"),
    ({"learning_rate": -1.0}, "must be above 0"),
    ({"learning_rate": 1000.0}, "at most 10"),
    ({"dataset": "moons"}, "Unknown data set 'moons'"),
    ({"activation": "swish"}, "Unknown activation 'swish'"),
    ({"output": "tanh"}, "Unknown output layer"),
    ({"dataset": "curve"}, "choose the linear output"),
    ({"dataset": "spiral"}, "3 classes"),
    ({"output": "linear"}, "classification data set"),
    ({"batch_size": 0}, "batch size must be 1 to 200"),
    ({"steps": 100_000}, "Steps must be 1 to 5,000"),
    ({"steps": 5000, "batch_size": 200, "hidden": [8, 8, 8]}, "too long for this page"),
    ({"noise": 3.0}, "Noise must be between 0 and 1"),
    ({"test_fraction": 0.99}, "test share"),
])
def test_bad_settings_are_refused_before_any_training(change, message):
    with pytest.raises(InputError, match=message):
        run_to_end(**dict(DEFAULTS, **change))


def test_bad_hidden_layers_keep_the_plots_and_say_what_is_allowed():
    """The Playground's Train with layers it cannot read or build: the message gives the allowed
    range (0 to 3 hidden layers of 1 to 8 neurons each), the status is cleared and the picture and
    the loss curves stay as they were (gr.skip(); they were wiped before)."""
    assert HIDDEN_ALLOWED == "0 to 3 hidden layers of 1 to 8 neurons each"
    train = inline(basics_tab.playground_stream, 3, keep=basics_tab.KEPT_ON_ERROR)
    for hidden in ["8, x", "8, 9", "4, 4, 4, 4"]:
        *shown, box = list(train("xor", 0.05, 0.5, hidden, "tanh", "sigmoid", 1.0, 10, 500, 0))[-1]
        assert f"allowed: {HIDDEN_ALLOWED}" in box["value"] and box["visible"], hidden
        assert shown == [None, gr.skip(), gr.skip()], hidden


def test_a_diverging_run_names_its_step():
    with pytest.raises(InputError, match=r"The loss became infinite at step \d+: lower the learning rate"):
        run_to_end(**dict(DEFAULTS, dataset="curve", output="linear", learning_rate=5.0))


def test_the_largest_allowed_run_is_bounded():
    """steps x batch x parameters is capped: the longest run the checks let through."""
    sizes = check_setup("spiral", [8, 8, 8], "tanh", "softmax", 0.5, 50, 5000, 0.1, 0.5)
    assert sizes == [2, 8, 8, 8, 3]
    with pytest.raises(InputError, match="too long"):
        check_setup("spiral", [8, 8, 8], "tanh", "softmax", 0.5, 52, 5000, 0.1, 0.5)


@pytest.mark.parametrize("args, message", [
    (([1.0, 2.0], [0.5, 0.6], "softmax"), "add up to 1"),
    (([1.0, 2.0], 5, "softmax"), "class index 0 to 1"),
    (([1.0, 2.0], [1, 0, 0], "sigmoid"), "3 numbers for 2 outputs"),
    (([1.0], 2.0, "sigmoid"), "between 0 and 1"),
    (([], 0, "softmax"), "Give 1 to 16 logits"),
    (([float("nan")], 0, "sigmoid"), "finite"),
    (([1.0], 0, "relu"), "Unknown output layer"),
])
def test_output_layer_refuses_bad_input(args, message):
    with pytest.raises(InputError, match=message):
        basics.output_layer(*args)


@pytest.mark.parametrize("weights, biases, message", [
    ([[[1.0, 2.0, 3.0]]], [[0.0]], "rows .* of 2 numbers"),
    ([[[1.0, 2.0]], [[1.0], [2.0]]], [[0.0], [0.0]], "Layer 2 has 2 neurons and 1 biases"),
    ([], [], "Give 1 to 4 layers"),
])
def test_forward_backward_refuses_mismatched_shapes(weights, biases, message):
    with pytest.raises(InputError, match=message):
        basics.forward_backward([0.5, 1.0], weights, biases, "tanh", "sigmoid", 1.0)


def test_training_streams_the_boundary_and_the_loss_curves():
    frames = list(basics_tab.playground_stream("xor", 0.05, 0.5, "4", "tanh", "sigmoid", 1.0, 10, 500, 0))
    statuses = [status for status, _, _ in frames]
    assert len(frames) == basics_tab.FRAMES + 1
    assert statuses[0].startswith(f"Training: step {500 // basics_tab.FRAMES} of 500")
    assert statuses[-2].startswith("Training: step 500")
    assert statuses[-1].startswith("**Test accuracy")
    expected = run_to_end("xor", [4], "tanh", "sigmoid", 1.0, 10, 500, 0.05, 0, 0.5)
    assert f"{100 * expected['test_accuracy']:.1f}%" in statuses[-1]
    pictures = [picture for _, picture, _ in frames]
    assert all(any(trace.type == "image" for trace in p.data) for p in pictures)    # the boundary, every frame
    curve_lengths = [len(curves.data[0].x) for _, _, curves in frames]
    assert curve_lengths == sorted(curve_lengths) and curve_lengths[0] < curve_lengths[-1] == 100


def test_streaming_a_curve_draws_the_fitted_line():
    frames = list(basics_tab.playground_stream("curve", 0.05, 0.5, "8, 8", "tanh", "linear", 0.1, 10, 200, 0))
    assert frames[-1][0].startswith("**Test mean squared error")
    assert [t.name for t in frames[3][1].data] == ["train", "test", "network"]


def test_one_step_is_said_in_the_singular():
    status, picture, _ = list(basics_tab.playground_stream("xor", 0.05, 0.5, "4", "tanh", "sigmoid", 1.0, 10, 1, 0))[-1]
    assert "after 1 step." in status and picture.layout.title.text == "After 1 step"


def test_the_linear_collapse_line_shows_after_training():
    last = list(basics_tab.playground_stream("circle", 0.05, 0.5, "8, 8", "linear", "sigmoid", 1.0, 10, 500, 0))[-1]
    assert "collapse into one linear map" in last[0]


def test_the_set_up_round_trips_through_the_url():
    values = ["spiral", 0.1, 0.3, "8, 4", "relu", "softmax", 0.5, 20, 800, 3]
    query = "?" + urlencode(dict(zip(basics_tab.URL_KEYS, map(str, values))))   # as the page writes it
    assert basics_tab.setup_from_query(query) == (values, [])
    read, ignored = basics_tab.setup_from_query("?ba_dataset=moons&ba_lr=fast&ba_hidden=8,x&ba_steps=300&__theme=dark")
    assert ignored == ["dataset", "hidden", "lr"] and read[basics_tab.SETTINGS.index("steps")] == 300
    assert basics_tab.setup_from_query("")[0][0] == DEFAULTS["dataset"]


def test_one_step_of_gradient_descent_lowers_the_loss_in_the_graph():
    for network in basics_graph.NETWORKS:
        start = basics_tab.GRAPH_START
        weights, biases = basics_graph.parameters(network, start["hidden"], start["out"])
        before = basics_graph.explain(network, start["x"], weights, biases, "tanh", "sigmoid", 1.0)
        moved = basics_graph.step(weights, biases, before, start["learning_rate"])
        after = basics_graph.explain(network, start["x"], *moved, "tanh", "sigmoid", 1.0)
        assert after["loss"] < before["loss"]
        assert len(before["node_rows"]) == (9 if network == "2-2-1" else 5)
        assert before["node_rows"][0][0] == "L" and before["node_rows"][-1][0] == "x₁"   # backward, from L up


def test_to_nlp_names_the_labels_of_every_sentiment_model():
    """It said the sentiment softmax was over negative and positive only; the five-label SST-1
    model is named with its labels."""
    def sentiment(name, labels, metrics):
        return {"name": name, "task": "sentiment", "hyperparameters": {"labels": labels}, "metrics": metrics}
    text = basics_tab.bridge_text({m["name"]: m for m in [
        sentiment("sentiment-cnn", ["negative", "positive"], {"sst2_test_accuracy": 0.85}),
        sentiment("sentiment-cnn-sst1", ["very negative", "negative", "neutral", "positive", "very positive"],
                  {"sst1_test_accuracy": 0.45}),
        sentiment("sentiment-bilstm", ["negative", "positive"], {"sst2_test_accuracy": 0.81})]})
    assert ("over negative and positive (sentiment-cnn, sentiment-bilstm) or SST-1's 5 labels from very "
            "negative to very positive (sentiment-cnn-sst1).") in text


# ---- the endpoints on the real server ----------------------------------------------------------

@pytest.mark.slow
def test_the_three_endpoints_are_listed(client):
    api = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert {"/output_layer", "/forward_backward", "/train_network"} <= set(api)


@pytest.mark.slow
def test_endpoints_answer_as_the_functions_do(client):
    assert client.predict([2.0, 1.0, 0.1], 0, "softmax", api_name="/output_layer") == \
        basics.output_layer([2.0, 1.0, 0.1], 0, "softmax")
    args = ([0.5, -1.0], [[[0.8, -0.4], [0.3, 0.9]], [[1.2, -0.7]]], [[0.1, -0.2], [0.05]], "tanh", "sigmoid", 1.0)
    assert client.predict(*args, api_name="/forward_backward") == basics.forward_backward(*args)
    trained = client.predict("xor", [4], "tanh", "sigmoid", 1.0, 10, 500, 0.05, 0, api_name="/train_network")
    assert trained["test_accuracy"] >= 0.95 and trained["note"] == ""
    assert np.shape(trained["boundary"]["probabilities"]) == (41, 41, 2)
    linear = client.predict("xor", [8, 8], "linear", api_name="/train_network")
    assert linear["test_accuracy"] <= 0.6 and "logistic regression" in linear["note"]


@pytest.mark.slow
@pytest.mark.parametrize("args, api, message", [
    (("xor", [0]), "/train_network", "has no neurons"),
    (("xor", [4], "tanh", "sigmoid", -0.1), "/train_network", "must be above 0"),
    (("curve", [8, 8], "tanh", "linear", 5.0), "/train_network", "infinite at step"),
    (("xor", [4], "tanh", "sigmoid", 1.0, "ten"), "/train_network", "argument 'batch_size'"),
    (("moons",), "/train_network", "Unknown data set"),
    (([1.0, 2.0], [0.3, 0.3], "softmax"), "/output_layer", "add up to 1"),
    (([1.0], [[[1.0]]], [[0.0]], "swish"), "/forward_backward", "Unknown activation"),
])
def test_endpoints_refuse_bad_input_clearly(client, args, api, message):
    with pytest.raises(AppError, match=message):
        client.predict(*args, api_name=api)
    assert client.predict([0.0], 1, "sigmoid", api_name="/output_layer")["outputs"] == [0.5]   # still serving
