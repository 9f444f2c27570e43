"""Build python_docs.txt, the course's prose corpus, from the reStructuredText sources of the
Python 3.11 documentation that Debian's `python3-doc` package installs.

Run once by an author (the result is committed; nothing runs this at test or lesson time):

    apt-get install python3-doc      # 3.11.2-1 in Debian 12
    python lib/data/prose/build.py

Every paragraph of running text is kept, in file order; code blocks, directives, tables,
headings and interactive sessions are dropped; inline markup is reduced to its text; the
result is wrapped at 79 columns, paragraphs separated by a blank line, and restricted to
printable ASCII. The Python documentation is licensed under the PSF License Agreement
(LICENSE.txt, copied from the same package's license page).
"""
import hashlib
import re
import shutil
import sys
import textwrap
import unicodedata
from pathlib import Path

SOURCES = Path("/usr/share/doc/python3.11/html/_sources")
PARTS = ("tutorial", "faq", "howto", "reference", "using", "extending", "whatsnew")
SKIP = ("changelog.rst.txt",)  # release notes as one-line items, not running text
HERE = Path(__file__).parent

ROLE = re.compile(r":[\w:+.-]+:`([^`]*)`")
LINK_TARGET = re.compile(r"\s*<[^<>`]*>$")
LITERAL = re.compile(r"``([^`]+)``")
REFERENCE = re.compile(r"`([^`<]+?)(?:\s*<[^`]*>)?`_{0,2}")
EMPHASIS = re.compile(r"\*\*?([^*\s][^*]*?)\*\*?")
SUBSTITUTION = re.compile(r"\|([\w-]+)\|")
FOOTNOTE = re.compile(r"\s*\[(?:#\w*|\d+)\]_")
ESCAPE = re.compile(r"\\(.)")


def _role_text(match):
    """`text <target>` inside a role gives text; a leading ~ or ! is dropped."""
    return LINK_TARGET.sub("", match.group(1)).lstrip("~!")


def plain(text):
    """A paragraph's inline reST reduced to its words."""
    text = ROLE.sub(_role_text, text)
    text = LITERAL.sub(lambda m: m.group(1).replace("\\", "\0"), text)  # literal backslashes kept
    text = REFERENCE.sub(r"\1", text)
    text = EMPHASIS.sub(r"\1", text)
    text = SUBSTITUTION.sub(r"\1", text)
    text = ESCAPE.sub(r"\1", FOOTNOTE.sub("", text)).replace("\0", "\\")
    if text.endswith(" ::"):
        text = text[:-3] + "."
    elif text.endswith("::"):
        text = text[:-1]
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(ascii_text.split())


def is_prose(block):
    """True for a block of running text: starts at column 0, no directive, heading, table or prompt."""
    first = block[0]
    if first[:1].isspace() or first.startswith(("..", ">>>", "+-", "==", "|")):
        return False
    if any(re.fullmatch(r"([=\-~^\"'`#*+.:_])\1{2,}", line.strip()) for line in block):
        return False
    words = " ".join(block)
    letters = sum(c.isalpha() for c in words)
    return len(words) >= 60 and letters >= 0.6 * len(words)


def paragraphs(rst):
    """The prose paragraphs of one reST file, as plain one-line strings."""
    blocks, current = [], []
    for line in rst.splitlines():
        if line.strip():
            current.append(line.rstrip())
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return [plain(" ".join(b)) for b in blocks if is_prose(b)]


def build():
    files = [p for part in PARTS for p in sorted((SOURCES / part).rglob("*.rst.txt")) if p.name not in SKIP]
    paras = [p for f in files for p in paragraphs(f.read_text(encoding="utf-8"))]
    text = "\n\n".join(textwrap.fill(p, 79) for p in paras) + "\n"
    (HERE / "python_docs.txt").write_text(text, encoding="ascii")
    shutil.copyfile(SOURCES / "license.rst.txt", HERE / "LICENSE.txt")
    digest = hashlib.sha256(text.encode("ascii")).hexdigest()
    print(f"{len(files)} files, {len(paras)} paragraphs, {len(text)} characters, sha256 {digest}")


if __name__ == "__main__":
    if not SOURCES.is_dir():
        sys.exit(f"{SOURCES} not found: apt-get install python3-doc")
    build()
