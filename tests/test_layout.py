"""The layout docs/architecture.md describes: every documented command exists under its name, the
imports go one way (serving/ never reaches export/ or torch; a family reaches another only through
the one named function) and no module imports itself round a cycle."""
import ast
import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT

DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
COMMAND = re.compile(r"python -m (export(?:\.\w+)+)")
FAMILIES = ("word2vec", "lm", "classifier")
# the one import across families: the classifiers start from our word vectors
CROSS_FAMILY = {("classifier", "export.word2vec.from_onnx")}


def documented_modules() -> list[str]:
    return sorted({m for doc in DOCUMENTS for m in COMMAND.findall(doc.read_text(encoding="utf-8"))})


def project_modules() -> dict[str, set[str]]:
    """{module: the project modules it imports, wherever in the file}."""
    graph = {}
    paths = [ROOT / "app.py"] + [p for top in ("export", "serving", "tokenization", "tests")
                                 for p in sorted((ROOT / top).rglob("*.py"))]
    for path in paths:
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        imported = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
        graph[name] = imported
    return {name: {m for m in imported if m in graph} for name, imported in graph.items()}


def test_the_documents_name_commands():
    assert len(documented_modules()) >= 15


@pytest.mark.parametrize("module", documented_modules())
def test_every_documented_command_runs_its_help(module):
    done = subprocess.run([sys.executable, "-m", module, "--help"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, f"python -m {module} --help: {done.stderr[-2000:]}"
    assert "usage" in done.stdout


def test_serving_imports_neither_export_nor_torch():
    for path in sorted((ROOT / "serving").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert not {n for n in names if n.split(".")[0] in ("export", "torch")}, path


def test_a_family_imports_another_only_through_the_named_function():
    for module, imported in project_modules().items():
        parts = module.split(".")
        if parts[0] != "export" or len(parts) < 3 or parts[1] not in FAMILIES:
            continue
        for other in imported:
            other_parts = other.split(".")
            if other_parts[0] == "export" and len(other_parts) > 2 and other_parts[1] in FAMILIES \
                    and other_parts[1] != parts[1]:
                assert (parts[1], ".".join(other_parts[:3])) in CROSS_FAMILY, (module, other)


def test_the_import_graph_has_no_cycle():
    graph = project_modules()
    done, path = set(), []

    def visit(module):
        if module in path:
            raise AssertionError("import cycle: " + " -> ".join(path[path.index(module):] + [module]))
        if module in done:
            return
        path.append(module)
        for other in sorted(graph.get(module, ())):
            visit(other)
        path.pop()
        done.add(module)

    for module in sorted(graph):
        visit(module)
