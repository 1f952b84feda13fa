"""Which model a request gets: every tab's models in its order (the first is the default), and
the check of the `model` argument, the same for every endpoint."""
from collections.abc import Callable

from serving.errors import InputError

# (task, model name) -> the model's stand-in, when the models run elsewhere: set by app.py in
# Ray mode (MODELS_ON_RAY) before the tabs are built
remote: Callable[[str, str], object] | None = None
# {model name: model} loaded before the tabs are built (app.py, serving/preload.py): a tab takes
# its models from here and loads only those missing
loaded: dict[str, object] = {}


def served_models(manifests: dict[str, dict], task: str, load: Callable[[dict], object],
                  order: Callable[[dict], object]) -> dict[str, object]:
    """{name: load(manifest)} for the task's manifests sorted by order(manifest): the first one
    is the default of the tab and of its endpoints."""
    ours = sorted((m for m in manifests.values() if m["task"] == task), key=order)
    return {m["name"]: remote(task, m["name"]) if remote else loaded[m["name"]] if m["name"] in loaded else load(m)
            for m in ours}


def choose(models: dict[str, object], name: str):
    if name not in models:
        raise InputError(f"Unknown model {name!r}; choose from {', '.join(models)}.")
    return models[name]
