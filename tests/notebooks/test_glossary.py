"""One Chinese term per concept across the course: docs/glossary.md is the list, and every
chapter's summary table and bold-with-Chinese term in its text must agree with it."""
import re

import nbformat
import pytest

from grading import repo

GLOSSARY = repo.ROOT / "docs" / "glossary.md"
ROW = re.compile(r"^\|\s*([^|]+?)\s*\|\s*([^|]+?)\s*\|(.*)\|$")
BOLD_WITH_CHINESE = re.compile(r"\*\*([^*]+?)\*\*\s*[（(]([^)）]*[\u4e00-\u9fff][^)）]*)[)）]")


def table_rows(text):
    """[(English, 中文)] of the rows of the Markdown tables headed "| English | 中文 |" in text."""
    rows, inside = [], False
    for line in text.splitlines():
        match = ROW.match(line.strip())
        if not match:
            inside = False
        elif match.group(1) == "English" and match.group(2) == "中文":
            inside = True
        elif inside and not match.group(1).startswith("---"):
            rows.append((match.group(1), match.group(2)))
    return rows


def atoms(english, chinese):
    """The single terms of a row: "precision / recall" with "精确率 / 召回率" is two of them."""
    en, zh = english.split(" / "), chinese.split(" / ")
    return list(zip(en, zh)) if len(en) == len(zh) else [(english, chinese)]


def key(term):
    return re.sub(r"\s+", " ", term).strip().lower()


def glossary():
    rows = table_rows(GLOSSARY.read_text(encoding="utf-8"))
    assert rows, f"{GLOSSARY} holds no '| English | 中文 |' table"
    return rows


def chapter_markdown(chapter):
    nb = nbformat.read(repo.ROOT / repo.SOLUTIONS / chapter / f"{chapter}.ipynb", as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "markdown"]


def test_the_glossary_gives_each_concept_one_term_and_each_term_one_concept():
    rows = glossary()
    english = [key(en) for en, _ in rows]
    assert len(english) == len(set(english)), "an English term appears twice in docs/glossary.md"
    owner = {}
    for en, zh in rows:
        for _, term in atoms(en, zh):
            assert owner.setdefault(term, en) == en, f"{term} is the Chinese of both {owner[term]!r} and {en!r}"


@pytest.mark.parametrize("chapter", repo.chapter_names())
def test_the_chapter_summary_uses_the_glossary_terms(chapter):
    terms = {key(en): zh for en, zh in glossary()}
    rows = [row for text in chapter_markdown(chapter) for row in table_rows(text)]
    assert rows, f"{chapter} has no English/中文 summary table"
    wrong = [f"{en}: {zh} (the glossary says {terms.get(key(en), 'nothing: add a row')})"
             for en, zh in rows if terms.get(key(en)) != zh]
    assert not wrong, f"{chapter}: " + "; ".join(wrong)


@pytest.mark.parametrize("chapter", repo.chapter_names())
def test_terms_in_the_text_use_the_glossary_chinese(chapter):
    single = {key(en): zh for row in glossary() for en, zh in atoms(*row)}
    wrong = []
    for text in chapter_markdown(chapter):
        for term, chinese in BOLD_WITH_CHINESE.findall(text):
            name = key(term)
            name = name if name in single else name.removesuffix("s")
            if name in single and single[name] not in re.sub(r"\s+", " ", chinese):
                wrong.append(f"**{term}** ({chinese}): the glossary says {single[name]}")
    assert not wrong, f"{chapter}: " + "; ".join(wrong)


def test_a_clashing_term_is_caught():
    terms = {key(en): zh for en, zh in glossary()}
    assert terms["logit"] != "对数几率"
    text = "| English | 中文 | meaning |\n|---|---|---|\n| logit | 对数几率 | raw score |\n"
    assert [(en, zh) for en, zh in table_rows(text) if terms.get(key(en)) != zh] == [("logit", "对数几率")]
