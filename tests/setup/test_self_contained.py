"""The repository stands on its own: no file in it refers to a path outside it.

Someone who clones the repository gets only what is in it. A reference to a folder beside the
clone, to a folder on the author's machine (a home or workspace folder), or a relative path that
climbs above the repository root is broken for everyone else. Relative links in Markdown files
must also lead to a file or folder of the repository.

The files checked are git's: tracked ones plus new files that git does not ignore (so a document
being written is checked before it is committed); binary files and files over 4 MiB are skipped.
Notebooks are read cell by cell (sources, text outputs, metadata), never their embedded images.
"""
import json
import posixpath
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAX_BYTES = 4 << 20
UP = ".." + "/"  # written in two parts, like every pattern below, so this file does not match itself

# A folder beside the repository, wherever it is written.
SIBLING = re.compile(re.escape(UP) + r"shared\b")
# Absolute folders of someone's machine: a workspace, home folders, root's home.
MACHINE = re.compile(r"(?<![\w.~/-])/(?:" + "|".join(["wo" + "rk", "ho" + "me", "ro" + "ot", "Us" + "ers"])
                     + r")/")
# A relative path that starts by climbing: one or more parent steps, then the rest of the path.
CLIMB = re.compile(r"(?<![\w./-])(?:\./)?((?:\.\./)+[^\s'\"`()<>\[\]{},;|*]*)")
# A Markdown link or image target: ](target) or ](target "title").
LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+[\"'(][^)]*)?\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
CODE_SPAN = re.compile(r"`[^`\n]*`")


def repo_files():
    """Repository-relative paths (posix) of the files git tracks or would add, that exist."""
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                         cwd=ROOT, capture_output=True, check=True).stdout
    names = sorted({n for n in out.decode("utf-8", "surrogateescape").split("\0") if n})
    return [n for n in names if (ROOT / n).is_file()]


def read_text(rel):
    """The file's text, or None for a binary or oversized file."""
    path = ROOT / rel
    if path.stat().st_size > MAX_BYTES:
        return None
    data = path.read_bytes()
    if b"\0" in data[:65536]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def notebook_parts(text):
    """[(where, text)] of a notebook: each cell's source and text outputs, and the metadata."""
    nb = json.loads(text)
    parts = [("metadata", json.dumps(nb.get("metadata", {}), indent=1))]
    for i, cell in enumerate(nb.get("cells", [])):
        parts.append((f"cell {i}", _joined(cell.get("source", ""))))
        for output in cell.get("outputs", []):
            pieces = [_joined(output.get("text", "")), "\n".join(output.get("traceback", []))]
            pieces += [_joined(v) for k, v in output.get("data", {}).items() if k.startswith("text/")]
            parts.append((f"cell {i} output", "\n".join(p for p in pieces if p)))
    return parts


def _joined(source):
    return "".join(source) if isinstance(source, list) else str(source)


def outside_references(rel, text):
    """[(line number, what)] for each reference in `text` (the content of file `rel`, relative to
    the repository root) to a path outside the repository."""
    folder = posixpath.dirname(rel)
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        for m in SIBLING.finditer(line):
            found.append((number, f"a folder beside the repository: {line[m.start():m.end() + 40].strip()}"))
        for m in MACHINE.finditer(line):
            found.append((number, f"a folder of one machine: {line[m.start():m.start() + 60].strip()}"))
        for m in CLIMB.finditer(line):
            target = posixpath.normpath(posixpath.join(folder, m.group(1)))
            if target == ".." or target.startswith(UP):
                found.append((number, f"{m.group(1)} climbs above the repository root (from {folder or '.'}/)"))
    return found


def broken_links(rel, text, files):
    """[(line number, what)] for each relative Markdown link in `text` (file `rel`) that does not
    lead to a file or folder among `files` (repository-relative paths)."""
    blank = lambda m: "\n" * m.group(0).count("\n")  # noqa: E731 (keeps line numbers)
    prose = CODE_SPAN.sub("``", FENCE.sub(blank, text))
    folders = {"."} | {"/".join(f.split("/")[:k]) for f in files for k in range(1, f.count("/") + 1)}
    found = []
    for m in LINK.finditer(prose):
        target = m.group(1)
        if re.match(r"[a-zA-Z][\w+.-]*:", target) or target.startswith("#"):
            continue  # a URL, mailto:, or an anchor in the same page
        path = target.split("#", 1)[0]
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(rel), path))
        if resolved in files or resolved in folders:
            continue
        number = prose.count("\n", 0, m.start()) + 1
        found.append((number, f"link to {target}, which is not in the repository"))
    return found


def report(problems):
    return "\n".join(f"{where}:{number}: {what}" for where, number, what in problems)


def test_no_file_refers_to_a_path_outside_the_repository():
    problems, checked = [], 0
    for rel in repo_files():
        text = read_text(rel)
        if text is None:
            continue
        checked += 1
        parts = notebook_parts(text) if rel.endswith(".ipynb") else [(None, text)]
        for part, content in parts:
            where = f"{rel} ({part})" if part else rel
            problems += [(where, n, what) for n, what in outside_references(rel, content)]
    assert checked > 50, f"only {checked} text files found: is git listing the repository?"
    assert not problems, "files refer to paths outside the repository:\n" + report(problems)


def test_markdown_links_lead_to_files_of_the_repository():
    files = repo_files()
    problems = []
    for rel in files:
        if rel.endswith(".md"):
            problems += [(rel, n, what) for n, what in broken_links(rel, read_text(rel) or "", set(files))]
    assert not problems, "broken relative links:\n" + report(problems)


@pytest.mark.parametrize("line", [
    f"see {UP}shared/DESIGN.md",
    f"[design]({UP}{UP}elsewhere/DESIGN.md)",
    "open('/" + "work/main/data.csv')",
    "`/" + "home/alice/course`",
    "cd /" + "root/" + "course",
    f"{UP}{UP}outside.txt",                        # from docs/, two steps up leave the repository
])
def test_the_scan_finds_outside_references(line):
    assert outside_references("docs/page.md", line), line


@pytest.mark.parametrize("line", [
    f"[contributing]({UP}CONTRIBUTING.md)",        # from docs/ to the root: still inside
    f'student ids such as "{UP}x" are refused',     # tests/x, inside
    "https://example.org/" + "home/page",           # part of a URL
    "python3 course.py test tests/lib",
    "the ServerApp.root_dir setting",
    "~/inbox/<student-id>/*.ipynb",
])
def test_the_scan_leaves_paths_inside_the_repository_alone(line):
    assert outside_references("docs/page.md", line) == [], line


def test_broken_and_sound_links_are_told_apart():
    files = {"README.md", "docs/adding.md", "docs/curriculum.md", "lib/device.py"}
    text = (f"[a](adding.md) [b]({UP}README.md#quick-start) [c](#errata) [d](https://x.org/y.md)\n"
            f"[e]({UP}lib/) `[f](nowhere.md)`\n[g](missing.md)\n")
    assert broken_links("docs/curriculum.md", text, files) == [
        (3, "link to missing.md, which is not in the repository")]
