"""lib.tokenizer.CharTokenizer: round trips, the vocabulary's order, errors, save and load."""
import pytest
import torch

from lib.tokenizer import CharTokenizer


@pytest.mark.parametrize("text", ["hello world", "a", "line one\nline two\n", "~!@#$%^&*()_+{}|:<>?" * 3])
def test_encode_then_decode_gives_the_text_back(text):
    tok = CharTokenizer.train(text)
    ids = tok.encode(text)
    assert ids.dtype == torch.long and ids.shape == (len(text),)
    assert tok.decode(ids) == text and tok.decode(ids.tolist()) == text


def test_ids_follow_the_sorted_characters():
    tok = CharTokenizer.train("banana")
    assert tok.chars == "abn" and tok.vocab_size == 3
    assert tok.encode("nab").tolist() == [2, 0, 1]
    assert tok.encode("").shape == (0,)


def test_unknown_characters_and_ids_get_clear_errors():
    tok = CharTokenizer.train("abc")
    with pytest.raises(ValueError, match=r"character 'z' at position 2 is not in the vocabulary of 3"):
        tok.encode("abzc")
    with pytest.raises(ValueError, match=r"ids must be ints in \[0, 3\), got 3"):
        tok.decode([0, 3])
    with pytest.raises(ValueError, match="ids must be a 1-D integer tensor"):
        tok.decode(torch.zeros(2))
    with pytest.raises(ValueError, match="each character once"):
        CharTokenizer("aba")
    with pytest.raises(TypeError, match="text must be a str"):
        tok.encode(b"abc")


def test_save_and_load_round_trip(tmp_path):
    tok = CharTokenizer.train("the quick brown fox\n")
    tok.save(tmp_path / "tok.json")
    again = CharTokenizer.load(tmp_path / "tok.json")
    assert again.chars == tok.chars
    (tmp_path / "other.json").write_text('{"kind": "bpe"}')
    with pytest.raises(ValueError, match="not a saved CharTokenizer"):
        CharTokenizer.load(tmp_path / "other.json")
