"""The course's prose corpus: 2 MB of English from the Python documentation (lib/data/prose/,
provenance and licence in its README.md), shipped with the course, so nothing downloads.

    text = corpus.prose()                    # the whole text, a str
    train, val = corpus.prose_split()        # the first 90 % and the last 10 %, by character
"""
import hashlib
from pathlib import Path

PATH = Path(__file__).parent / "prose" / "python_docs.txt"
SHA256 = "96c817db2dac46fc8f052ced8b5ecb04239440762f19535299187183c5a520d1"


def prose():
    """The whole corpus as one str (printable ASCII and newlines)."""
    return PATH.read_text(encoding="ascii")


def checksum():
    """The sha256 of the corpus file as it is on disk, to compare with SHA256."""
    return hashlib.sha256(PATH.read_bytes()).hexdigest()


def prose_split(val_fraction=0.1):
    """(train, validation) strs: the corpus cut once, the last `val_fraction` for validation.

    A contiguous cut (not shuffled paragraphs) keeps validation text unseen: its documents
    follow the training ones. The cut moves forward to the next paragraph start.
    """
    if isinstance(val_fraction, bool) or not isinstance(val_fraction, (int, float)) or not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be a number in (0, 1), got {val_fraction!r}")
    text = prose()
    cut = int(len(text) * (1 - val_fraction))
    start = text.find("\n\n", cut)
    cut = cut if start < 0 else start + 2
    return text[:cut], text[cut:]
