"""The picture of an analogy a - b + c, drawn in the plane of the query's own offsets.

A projection chosen by the data (PCA over the few words involved) bends the parallelogram the
theory promises: king-queen came out at 60% of man-woman, at another angle. As the Embedding
Projector's custom projections do, the plane here is the one the query itself spans: b at the
origin, one axis along c - b (woman - man), the other along a - b (king - man) made
perpendicular to the first, both to the same scale. a, b, c and the point the query asks for,
a - b + c, lie exactly in that plane, so their parallelogram is drawn as it is in 300
dimensions; the answers are shown by their shadow on the plane, with their distance off it.

Labels are placed so that they neither overlap each other nor leave the frame at the smallest
size the figure is shown (a 390 px phone); at larger sizes text takes less of the frame. Plotly
draws the figure (Gradio ships plotly.js, so it renders offline).
"""
import numpy as np
import plotly.graph_objects as go

QUERY_COLOURS = {"positive": "#1d4ed8", "negative": "#b91c1c"}
ANSWER_COLOUR, TARGET_COLOUR = "#15803d", "#111827"
OFFSET_COLOURS = ("#7c3aed", "#ea580c")
SMALLEST_PLOT_PX = 300          # the plot area on a phone, width and height (equal scales)
CHAR_PX, LINE_PX, POINT_PX = 7.5, 16, 7
# where a label may go, as (xanchor, yanchor, xshift, yshift), tried in this order
PLACES = [("left", "middle", 9, 0), ("right", "middle", -9, 0), ("center", "bottom", 0, 8),
          ("center", "top", 0, -8), ("left", "bottom", 6, 6), ("right", "bottom", -6, 6),
          ("left", "top", 6, -6), ("right", "top", -6, -6)]


def plane(b: np.ndarray, a: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Two orthonormal rows: along c - b, and along a - b without its part along c - b."""
    first = (c - b) / np.linalg.norm(c - b)
    rest = (a - b) - ((a - b) @ first) * first
    return np.stack([first, rest / np.linalg.norm(rest)])


def label_boxes(points: np.ndarray, labels: list[str], px: float, frame: tuple) -> list[tuple]:
    """A PLACES entry per label, the first whose box (at px pixels per unit) stays inside the
    frame and clear of every point and of the labels placed before it."""
    (x0, x1), (y0, y1) = frame
    taken = [(x - POINT_PX, y - POINT_PX, x + POINT_PX, y + POINT_PX) for x, y in points * px]
    chosen = []
    for (x, y), label in zip(points * px, labels):
        width = CHAR_PX * len(label)
        best, best_overlap = PLACES[0], None
        for place in PLACES:
            xanchor, yanchor, dx, dy = place
            left = x + dx - {"left": 0, "center": width / 2, "right": width}[xanchor]
            bottom = y + dy - {"bottom": 0, "middle": LINE_PX / 2, "top": LINE_PX}[yanchor]
            box = (left, bottom, left + width, bottom + LINE_PX)
            outside = box[0] < x0 * px or box[2] > x1 * px or box[1] < y0 * px or box[3] > y1 * px
            overlap = sum(max(0, min(box[2], t[2]) - max(box[0], t[0])) * max(0, min(box[3], t[3]) - max(box[1], t[1]))
                          for t in taken) + (1e9 if outside else 0)
            if best_overlap is None or overlap < best_overlap:
                best, best_overlap, best_box = place, overlap, box
            if overlap == 0:
                break
        taken.append(best_box)
        chosen.append(best)
    return chosen


def analogy_figure(a: str, b: str, c: str, answers: list[str], vectors: np.ndarray) -> tuple[go.Figure, str]:
    """(figure, caption) for a - b + c; vectors: the unit vectors of a, b, c and the answers."""
    va, vb, vc, *vanswers = vectors
    axes = plane(vb, va, vc)
    target = va - vb + vc
    shadow = lambda v: axes @ (v - vb)
    corners = np.stack([shadow(v) for v in (vb, vc, target, va)])
    found = np.stack([shadow(v) for v in vanswers]) if vanswers else np.zeros((0, 2))
    off_plane = [float(np.linalg.norm((v - vb) - axes.T @ shadow(v))) for v in vanswers]
    cosines = [float(v @ target / np.linalg.norm(target)) for v in vanswers]

    points = np.concatenate([corners, found])
    low, high = points.min(axis=0), points.max(axis=0)
    half = 0.5 * max(high - low) * 1.45   # equal ranges: room for the labels on every side
    middle = (low + high) / 2
    frame = ((middle[0] - half, middle[0] + half), (middle[1] - half, middle[1] + half))
    target_name = f"{a} − {b} + {c}"
    labels = [b, c, target_name, a] + answers
    places = label_boxes(points, labels, SMALLEST_PLOT_PX / (2 * half), frame)

    fig = go.Figure()
    fig.add_scatter(x=corners[:, 0], y=corners[:, 1], fill="toself", fillcolor="rgba(124,58,237,0.06)",
                    mode="none", hoverinfo="skip", showlegend=False)
    for (start, end), colour, name in (((0, 1), OFFSET_COLOURS[0], f"{c} − {b}"), ((3, 2), OFFSET_COLOURS[0], None),
                                       ((0, 3), OFFSET_COLOURS[1], f"{a} − {b}"), ((1, 2), OFFSET_COLOURS[1], None)):
        fig.add_scatter(x=corners[[start, end], 0], y=corners[[start, end], 1], mode="lines+markers",
                        line={"color": colour, "width": 2}, hoverinfo="skip",
                        marker={"symbol": "arrow", "angleref": "previous", "size": [0, 13], "color": colour},
                        name=f"offset {name}" if name else None, showlegend=name is not None,
                        legendgroup=colour)
    for role, index in (("positive", [3, 1]), ("negative", [0])):
        fig.add_scatter(x=corners[index, 0], y=corners[index, 1], mode="markers",
                        marker={"color": QUERY_COLOURS[role], "size": 10}, name=f"{role} word" + "s" * (len(index) > 1),
                        text=[labels[i] for i in index], hovertemplate="%{text}<extra></extra>")
    fig.add_scatter(x=[corners[2, 0]], y=[corners[2, 1]], mode="markers", name="the point asked for",
                    marker={"color": TARGET_COLOUR, "size": 11, "symbol": "x-thin", "line": {"width": 2, "color": TARGET_COLOUR}},
                    hovertemplate=f"{target_name}<extra></extra>")
    if answers:
        fig.add_scatter(x=found[:, 0], y=found[:, 1], mode="markers", name="answers (shadow on this plane)",
                        marker={"color": ANSWER_COLOUR, "size": 9, "symbol": "diamond"},
                        customdata=np.column_stack([cosines, off_plane]), text=answers,
                        hovertemplate="%{text}: cosine %{customdata[0]:.3f} to the point asked for, "
                                      "%{customdata[1]:.3f} off the plane<extra></extra>")
    colours = [QUERY_COLOURS["negative"], QUERY_COLOURS["positive"], TARGET_COLOUR, QUERY_COLOURS["positive"]]
    for (x, y), label, (xanchor, yanchor, dx, dy), colour in zip(points, labels, places, colours + [ANSWER_COLOUR] * len(answers)):
        fig.add_annotation(x=x, y=y, text=label, showarrow=False, xanchor=xanchor, yanchor=yanchor,
                           xshift=dx, yshift=dy, font={"size": 13, "color": colour})
    fig.update_layout(height=470, margin={"l": 10, "r": 10, "t": 10, "b": 10}, plot_bgcolor="white", dragmode=False,
                      legend={"orientation": "h", "x": 0, "y": -0.02, "yanchor": "top", "font": {"size": 12}})
    fig.update_xaxes(range=frame[0], showticklabels=False, gridcolor="#eef0f3", zeroline=False, fixedrange=True,
                     constrain="domain")
    fig.update_yaxes(range=frame[1], showticklabels=False, gridcolor="#eef0f3", zeroline=False, fixedrange=True,
                     scaleanchor="x", scaleratio=1, constrain="domain")
    top = answers[0] if answers else None
    caption = (f"**Drawn to scale in the plane of the query itself**: {b} at the bottom corner, across along "
               f"{c} − {b}, up along {a} − {b} (its part at right angles to {c} − {b}). {a}, {b}, {c} and the "
               f"point asked for (✕, {target_name}) sit exactly where they are in the 300 dimensions, so the "
               "two arrows of a colour are the same offset. The answers are shown by their shadow on this plane"
               + (f": {top} lies {off_plane[0]:.3f} off it ({b} to {c} is {np.linalg.norm(vc - vb):.3f} long), "
                  f"cosine {cosines[0]:.3f} to ✕." if top else "."))
    return fig, caption
