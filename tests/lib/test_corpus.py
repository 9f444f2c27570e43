"""lib.data.corpus: the shipped prose corpus is the recorded file (checksum), large enough,
licensed, and split without overlap."""
from lib.data import corpus

HERE = corpus.PATH.parent


def test_the_corpus_is_the_recorded_file():
    assert corpus.checksum() == corpus.SHA256
    assert corpus.SHA256 in (HERE / "README.md").read_text()


def test_the_corpus_is_at_least_a_megabyte_of_printable_ascii_prose():
    text = corpus.prose()
    assert len(text) >= 1_000_000
    assert set(text) <= {chr(c) for c in range(32, 127)} | {"\n"}
    words = text.split()
    assert len(words) > 150_000 and sum(w.isalpha() for w in words) > 0.6 * len(words)


def test_the_licence_and_the_builder_ship_with_it():
    assert "PSF LICENSE AGREEMENT" in (HERE / "LICENSE.txt").read_text()
    readme = (HERE / "README.md").read_text()
    assert "python3-doc" in readme and "3.11.2-1" in readme and (HERE / "build.py").is_file()


def test_the_split_is_contiguous_and_cut_at_a_paragraph():
    train, val = corpus.prose_split()
    assert train + val == corpus.prose()
    assert train.endswith("\n\n") and 0.09 < len(val) / (len(train) + len(val)) < 0.11
    small_train, small_val = corpus.prose_split(0.02)
    assert len(small_val) < len(val)
