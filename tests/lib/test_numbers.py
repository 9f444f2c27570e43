"""lib.data.numbers: English words and Chinese numerals against a hand-written table, the split."""
import pytest

from lib.data.numbers import MAX_N, chinese, english, number_split, pairs

# Written by hand (not produced by the code), covering each rule: "and" before a last part below
# one hundred, compound tens without hyphen, one 零 per run of inner zeros, no trailing zeros,
# a leading 十 for 10..19, 一十 inside a number, 二 (not 两) before 千 and 百.
TABLE = [
    (0, "zero", "零"),
    (1, "one", "一"),
    (7, "seven", "七"),
    (10, "ten", "十"),
    (11, "eleven", "十一"),
    (15, "fifteen", "十五"),
    (19, "nineteen", "十九"),
    (20, "twenty", "二十"),
    (21, "twenty one", "二十一"),
    (42, "forty two", "四十二"),
    (99, "ninety nine", "九十九"),
    (100, "one hundred", "一百"),
    (101, "one hundred and one", "一百零一"),
    (105, "one hundred and five", "一百零五"),
    (110, "one hundred and ten", "一百一十"),
    (111, "one hundred and eleven", "一百一十一"),
    (119, "one hundred and nineteen", "一百一十九"),
    (200, "two hundred", "二百"),
    (305, "three hundred and five", "三百零五"),
    (350, "three hundred and fifty", "三百五十"),
    (999, "nine hundred and ninety nine", "九百九十九"),
    (1000, "one thousand", "一千"),
    (1001, "one thousand and one", "一千零一"),
    (1005, "one thousand and five", "一千零五"),
    (1010, "one thousand and ten", "一千零一十"),
    (1011, "one thousand and eleven", "一千零一十一"),
    (1050, "one thousand and fifty", "一千零五十"),
    (1100, "one thousand one hundred", "一千一百"),
    (1101, "one thousand one hundred and one", "一千一百零一"),
    (1110, "one thousand one hundred and ten", "一千一百一十"),
    (1200, "one thousand two hundred", "一千二百"),
    (1250, "one thousand two hundred and fifty", "一千二百五十"),
    (2000, "two thousand", "二千"),
    (2019, "two thousand and nineteen", "二千零一十九"),
    (3040, "three thousand and forty", "三千零四十"),
    (4006, "four thousand and six", "四千零六"),
    (5300, "five thousand three hundred", "五千三百"),
    (6708, "six thousand seven hundred and eight", "六千七百零八"),
    (8090, "eight thousand and ninety", "八千零九十"),
    (9999, "nine thousand nine hundred and ninety nine", "九千九百九十九"),
]


@pytest.mark.parametrize("n, words, numeral", TABLE)
def test_table(n, words, numeral):
    assert english(n) == words
    assert chinese(n) == numeral


def test_every_number_is_distinct_and_well_formed():
    """Property over all 10000 numbers: both writings are one-to-one, the numeral never has two
    零 in a row nor a trailing 零 (except 0), and the English has one "and" at most."""
    assert len({english(n) for n in range(MAX_N + 1)}) == MAX_N + 1
    assert len({chinese(n) for n in range(MAX_N + 1)}) == MAX_N + 1
    for n in range(1, MAX_N + 1):
        c, e = chinese(n), english(n).split()
        assert "零零" not in c and not c.endswith("零")
        assert e.count("and") <= 1 and "" not in e
        assert ("零" in c) == (n >= 100 and 0 < n % 100 < 10 or n >= 1000 and n % 1000 and n // 100 % 10 == 0)


def test_pairs():
    assert pairs([305, 12]) == [(["three", "hundred", "and", "five"], ["三", "百", "零", "五"]),
                                (["twelve"], ["十", "二"])]
    assert pairs(range(3)) == [(["zero"], ["零"]), (["one"], ["一"]), (["two"], ["二"])]


@pytest.mark.parametrize("max_n, fractions", [(9999, (0.8, 0.1, 0.1)), (99, (0.6, 0.2, 0.2)), (50, (0.5, 0.5))])
def test_split_disjoint_complete_sized(max_n, fractions):
    parts = number_split(max_n, fractions, seed=3)
    assert len(parts) == len(fractions)
    assert sorted(sum(parts, [])) == list(range(max_n + 1))  # disjoint and complete
    for part, f in zip(parts, fractions):
        assert part == sorted(part) and abs(len(part) - f * (max_n + 1)) < 1


def test_split_deterministic_and_seeded():
    assert number_split(999, seed=5) == number_split(999, seed=5)
    assert number_split(999, seed=5) != number_split(999, seed=6)
    train, _, test = number_split(999, seed=5)
    assert not set(train) & set(test)


@pytest.mark.parametrize("call, match", [
    (lambda: english(10000), "n"),
    (lambda: english(-1), "n"),
    (lambda: chinese(3.0), "n"),
    (lambda: chinese(True), "n"),
    (lambda: number_split(0.5), "max_n"),
    (lambda: number_split(99, (0.5, 0.6)), "fractions"),
    (lambda: number_split(99, seed="a"), "seed"),
    (lambda: pairs(5), "numbers"),
    (lambda: pairs([1, 10000]), r"numbers\[1\]"),
])
def test_bad_input(call, match):
    with pytest.raises((TypeError, ValueError), match=match):
        call()
