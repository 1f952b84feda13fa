"""tokenization.sst: Kim's clean_str rules, on user text and on the SST-2 / MR / IMDB files."""
import re

from conftest import DATA_DIR, needs_data

from export.classifier.data import load_imdb_train
from tokenization.sst import sst_tokens, sst_tokens_with_spans


def test_clitics_punctuation_and_case():
    assert sst_tokens("Don't you think it's GREAT?!") == \
        ["do", "n't", "you", "think", "it", "'s", "great", "?", "!"]
    assert sst_tokens("I'm sure they've gone, (or won't)") == \
        ["i", "'m", "sure", "they", "'ve", "gone", ",", "(", "or", "wo", "n't", ")"]
    assert sst_tokens("co-writer/director... 3.5 stars") == \
        ["co", "writer", "director", "3", "5", "stars"]


def test_typographic_apostrophes_accents_emoji_and_other_scripts():
    assert sst_tokens("It isn\u2019t bad") == ["it", "is", "n't", "bad"]
    assert sst_tokens("Très bien 😀😀 電影") == ["tres", "bien", "電影"]
    assert sst_tokens("😀 ... !!!") == ["!", "!", "!"]
    assert sst_tokens("") == [] and sst_tokens("😀") == []


def test_spans_point_at_the_typed_text():
    text = "  The FILM's ending -- wonderful!"
    for token, start, end in sst_tokens_with_spans(text):
        assert text[start:end].lower() == token


@needs_data("sst2/stsa.binary.train")
def test_sst_lines_come_back_as_kim_cleans_them():
    """SST is tokenised already: words, clitics and ( ) , ! ? stay as they are, other punctuation
    (. -- ... : ;) goes; checked on every line made only of such tokens."""
    kept = re.compile(r"[a-z0-9]+|n't|'(s|ve|re|d|ll|m)|[(),!?]")
    dropped = re.compile(r"[^a-z0-9'`(),!?]+")
    lines = [line[2:].split() for line in
             (DATA_DIR / "sst2/stsa.binary.train").read_text(encoding="utf-8").splitlines()]
    plain = [tokens for tokens in lines if all(kept.fullmatch(t) or dropped.fullmatch(t)
                                               for t in tokens)]
    assert len(plain) > 3000
    assert all(sst_tokens(" ".join(tokens)) == [t for t in tokens if kept.fullmatch(t)]
               for tokens in plain)
    assert sst_tokens("-lrb- a film -rrb- that works , sort of .") == \
        ["(", "a", "film", ")", "that", "works", ",", "sort", "of"]


@needs_data("mr/rt-polarity.pos")
def test_mr_is_latin1_and_its_clitics_split_as_in_sst():
    line = (DATA_DIR / "mr/rt-polarity.pos").read_text(encoding="latin-1").splitlines()[0]
    assert sst_tokens(line)[:6] == ["the", "rock", "is", "destined", "to", "be"]
    assert sst_tokens("the 21st century's new \" conan \"") == \
        ["the", "21st", "century", "'s", "new", "conan"]


@needs_data("imdb/train.jsonl.gz")
def test_imdb_reviews_come_cut_without_markup_and_with_both_labels():
    reviews = load_imdb_train(DATA_DIR, max_tokens=30, limit=40)
    assert len(reviews) == 40 and {label for _, label in reviews} == {0, 1}
    assert all(0 < len(tokens) <= 30 and "br" not in tokens for tokens, _ in reviews)


@needs_data("imdb/train.jsonl.gz")
def test_imdb_reviews_by_stars_take_sst1_labels_on_their_own_side_and_never_neutral():
    binary = load_imdb_train(DATA_DIR, max_tokens=30, limit=200)
    stars = load_imdb_train(DATA_DIR, max_tokens=30, limit=200, stars=True)
    assert [tokens for tokens, _ in stars] == [tokens for tokens, _ in binary]
    assert {label for _, label in stars} == {0, 1, 3, 4}  # very negative ... very positive, no neutral
    assert all((fine > 2) == (side == 1) for (_, fine), (_, side) in zip(stars, binary))
