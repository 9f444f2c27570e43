"""Execute every chapter notebook top to bottom in a fresh kernel and report time and changed outputs.

    LIB_DEVICE=cuda python bench/run_chapters.py solutions OUTDIR [CHAPTER ...]

Meant for the device checks (chapters on CUDA, where nbval's stored CPU outputs cannot match
to the last digit): for each notebook it prints the wall time, whether a cell raised, and how
many code cells print text that differs from the stored output; the executed notebooks are
written to OUTDIR/chapters.tar.gz for reading afterwards.
"""
import argparse
import concurrent.futures
import io
import re
import tarfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def text_of(cell):
    """The text a code cell printed or returned (streams and text/plain), joined."""
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        elif "data" in out:
            parts.append(out["data"].get("text/plain", ""))
    return "".join(parts)


def execute(path, timeout):
    """Run one notebook in its own folder; return (path, seconds, error or None, changed cells, nb)."""
    stored = nbformat.read(path, as_version=4)
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    error = None
    try:
        NotebookClient(nb, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    except CellExecutionError as e:
        error = re.sub(r"\x1b\[[0-9;]*m", "", str(e).strip().splitlines()[-1])
    seconds = time.perf_counter() - start
    changed = [i for i, (a, b) in enumerate(zip(stored.cells, nb.cells))
               if a.cell_type == "code" and text_of(a) != text_of(b)]
    return path, seconds, error, changed, nb


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path, help="the folder of chapter folders (solutions)")
    parser.add_argument("outdir", type=Path)
    parser.add_argument("chapters", nargs="*", help="chapter folders to run (default: all)")
    parser.add_argument("--timeout", type=int, default=300, help="seconds per cell")
    args = parser.parse_args()
    paths = sorted(p for p in args.folder.glob("*/*.ipynb")
                   if not args.chapters or p.parent.name in args.chapters)
    args.outdir.mkdir(parents=True, exist_ok=True)
    with concurrent.futures.ThreadPoolExecutor(len(paths)) as pool:
        results = list(pool.map(lambda p: execute(p, args.timeout), paths))
    with tarfile.open(args.outdir / "chapters.tar.gz", "w:gz") as tar:
        for path, seconds, error, changed, nb in results:
            print(f"{path.name:<24} {seconds:7.1f} s  {'ERROR ' + error if error else 'ran'}  "
                  f"text changed in {len(changed)} code cells: {changed}")
            data = nbformat.writes(nb).encode()
            info = tarfile.TarInfo(path.name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


if __name__ == "__main__":
    main()
