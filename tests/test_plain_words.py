"""The Word vectors and Sentiment tabs' descriptions, from the shipped manifests: one sentence a
visitor understands per model, the details in words; no file paths, optimizer names, thread
counts or hardware model names, and "English" said."""
import pytest

from conftest import WEIGHTS_DIR
from serving import sentiment_tab, word_vectors_tab
from serving.plain_words import counted
from serving.weights import load_manifest

LEAKS = ["build/", ".onnx", ".safetensors", "adadelta", "adam", "threads)", "1 threads", "NVIDIA", "H200",
         "t8+more", "x86_64", "weights/"]
TABS = {"word-vectors": word_vectors_tab, "sentiment": sentiment_tab}
MANIFESTS = [load_manifest(p) for p in sorted(WEIGHTS_DIR.iterdir()) if (p / "manifest.json").is_file()]


@pytest.mark.parametrize("manifest", [m for m in MANIFESTS if m["task"] in TABS], ids=lambda m: m["name"])
def test_descriptions_are_plain(manifest):
    tab = TABS[manifest["task"]]
    sentence, details = tab.describe(manifest), tab.training_details(manifest)
    for leak in LEAKS:
        assert leak not in sentence and leak not in details, leak
    assert sentence.count(". ") <= 2 and "%" in sentence
    assert "minutes" in details


def test_english_only_is_said():
    assert "English only" in word_vectors_tab.BACKGROUND
    assert all("English" in sentiment_tab.describe(m) for m in MANIFESTS if m["task"] == "sentiment")


def test_a_count_of_one_is_singular():
    assert [counted(n, "token") for n in (0, 1, 2, 5000)] == ["0 tokens", "1 token", "2 tokens", "5,000 tokens"]


def test_numbers_are_formatted_one_way_per_kind():
    ours = [m for m in MANIFESTS if m["task"] == "word-vectors"]
    for row in word_vectors_tab.quality_table(ours):
        assert all(len(cell.split(".")[1]) == 1 for cell in row[1:4])   # accuracy: one decimal
        assert len(row[4].split(".")[1]) == 3                              # a correlation: three


def test_the_next_word_chart_says_which_prompt_it_follows():
    from serving.language_model_pictures import after_words
    assert after_words("") == "at the start of a sentence"
    assert after_words("the company said") == "after “the company said”"
    assert after_words("the company said it expects") == "after “… company said it expects”"
    assert after_words("a <b>bold</b> claim") == "after “a &lt;b&gt;bold&lt;/b&gt; claim”"   # plotly reads tags
