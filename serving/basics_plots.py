"""The Basics tab's pictures, drawn with plotly (Gradio ships plotly.js, so they render offline):
the Playground's data with the network's decision boundary or fitted curve, its loss curves, and
the computational graph of one example with every node's value and gradient."""
import numpy as np
import plotly.graph_objects as go

CLASS_COLOURS = np.array([[234, 88, 12], [37, 99, 235], [22, 163, 74]])   # orange, blue, green
CLASS_NAMES = ["orange", "blue", "green"]
GRADIENT_COLOUR = "#b91c1c"
MARGIN = {"l": 40, "r": 10, "t": 40, "b": 40}


def layout(fig: go.Figure, title: str, height: int) -> go.Figure:
    # plotly's own look without its "plotly_white" template, whose expansion cost 50 ms a figure
    fig.update_layout(title={"text": title, "font": {"size": 14}, "x": 0.02}, height=height, margin=MARGIN,
                      plot_bgcolor="white", legend={"orientation": "h", "y": -0.12, "x": 0}, dragmode=False)
    fig.update_xaxes(gridcolor="#e5e7eb", zerolinecolor="#d1d5db")
    fig.update_yaxes(gridcolor="#e5e7eb", zerolinecolor="#d1d5db")
    return fig


def data_figure(split_points, boundary=None, curve=None, title: str = "") -> go.Figure:
    """The points (train filled, test hollow) over the boundary: each grid cell tinted by the mix
    of class colours its probabilities give, so the boundary is where the tint turns."""
    x_train, y_train, x_test, y_test = split_points
    fig = go.Figure()
    if x_train.shape[1] == 1:   # a curve to fit
        fig.add_scatter(x=x_train[:, 0], y=y_train, mode="markers", name="train", marker={"color": "#2563eb", "size": 6})
        fig.add_scatter(x=x_test[:, 0], y=y_test, mode="markers", name="test",
                        marker={"color": "#2563eb", "size": 6, "symbol": "circle-open"})
        if curve:
            fig.add_scatter(x=curve["x"], y=curve["y"], mode="lines", name="network", line={"color": "#ea580c", "width": 3})
        fig.update_yaxes(range=[-1.8, 1.8])
        return layout(fig, title, 360)
    if boundary:
        probabilities = np.asarray(boundary["probabilities"])
        pale = 0.45 * CLASS_COLOURS[:probabilities.shape[-1]] + 0.55 * 255
        step = boundary["x"][1] - boundary["x"][0]
        fig.add_trace(go.Image(z=probabilities @ pale, x0=boundary["x"][0], dx=step, y0=boundary["y"][0], dy=step,
                               hoverinfo="skip"))
    for k in np.unique(np.concatenate([y_train, y_test])):
        colour = f"rgb({','.join(map(str, CLASS_COLOURS[k]))})"
        for name, x, y, symbol in (("train", x_train, y_train, "circle"), ("test", x_test, y_test, "circle-open")):
            fig.add_scatter(x=x[y == k, 0], y=x[y == k, 1], mode="markers", name=f"{CLASS_NAMES[k]} ({name})",
                            marker={"color": colour, "size": 6, "symbol": symbol,
                                    "line": {"width": 1.5 if symbol == "circle-open" else 0.5, "color": colour if symbol == "circle-open" else "white"}})
    fig.update_xaxes(range=[-1.6, 1.6], constrain="domain")
    fig.update_yaxes(range=[-1.6, 1.6], scaleanchor="x", autorange=False)
    return layout(fig, title, 360)


def loss_figure(curves: dict, title: str = "Loss while training") -> go.Figure:
    fig = go.Figure()
    fig.add_scatter(x=curves["steps"], y=curves["train_loss"], mode="lines", name="train", line={"color": "#2563eb"})
    fig.add_scatter(x=curves["steps"], y=curves["test_loss"], mode="lines", name="test", line={"color": "#ea580c"})
    fig.update_xaxes(title={"text": "step", "standoff": 4}, rangemode="tozero")
    fig.update_yaxes(rangemode="tozero")
    return layout(fig, title, 360)


def graph_figure(nodes: list[dict], edges: list[dict], height: int) -> go.Figure:
    """nodes: {"x", "y", "text"}; edges: {"from", "to", "label", "at"} (indices into nodes; the
    label's place as a fraction of the way from the source, so that crossing edges can keep their
    labels apart). Drawn top to bottom, the forward pass going down. The annotations go into
    the layout at once: plotly's add_annotation re-validates every earlier one, which made a
    2-2-1 network's 29 cost 0.6 s."""
    annotations = []
    for e in edges:
        a, b = nodes[e["from"]], nodes[e["to"]]
        annotations.append(dict(x=b["x"], y=b["y"] + 0.3, ax=a["x"], ay=a["y"] - 0.3, xref="x", yref="y",
                                axref="x", ayref="y", showarrow=True, arrowhead=2, arrowwidth=1.2,
                                arrowcolor="#94a3b8", text=""))
        t = e["at"]
        annotations.append(dict(x=a["x"] + t * (b["x"] - a["x"]), y=a["y"] - 0.3 + t * (b["y"] - a["y"] + 0.6),
                                text=e["label"], showarrow=False, font={"size": 11, "color": "#334155"},
                                bgcolor="rgba(255,255,255,0.9)"))
    for n in nodes:
        annotations.append(dict(x=n["x"], y=n["y"], text=n["text"], showarrow=False, font={"size": 12},
                                bgcolor="#f8fafc", bordercolor="#64748b", borderwidth=1, borderpad=4, align="center"))
    fig = go.Figure(layout={"annotations": annotations})
    xs = [n["x"] for n in nodes]
    ys = [n["y"] for n in nodes]
    fig.update_xaxes(visible=False, range=[min(xs) - 0.9, max(xs) + 0.9])
    fig.update_yaxes(visible=False, range=[min(ys) - 0.5, max(ys) + 0.5])
    fig.update_layout(height=height, margin={"l": 0, "r": 0, "t": 0, "b": 0}, plot_bgcolor="white",
                      dragmode=False, showlegend=False)
    return fig
