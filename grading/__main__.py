"""`python -m grading COMMAND [CHAPTER ...]`: the course's authoring commands.

  execute   run solutions notebooks top to bottom on the CPU, storing outputs (nbval reference)
  generate  regenerate chapters/ from solutions/ with nbgrader (never edit chapters/ by hand)
  validate  nbgrader validate: solutions pass, student versions fail every graded test
  build     execute, then generate, then validate

With no CHAPTER, every chapter in solutions/ is processed.
"""
import argparse
import sys

from grading import authoring, repo


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m grading", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["execute", "generate", "validate", "build"])
    parser.add_argument("chapters", nargs="*", help="chapter names such as 01_neurons (default: all)")
    args = parser.parse_args(argv)
    known = repo.chapter_names()
    unknown = [c for c in args.chapters if c not in known]
    if unknown:
        parser.error(f"unknown chapter(s) {', '.join(unknown)}; known: {', '.join(known)}")
    chapters = args.chapters or known

    if args.command in ("execute", "build"):
        for path in repo.notebooks(repo.SOLUTIONS, chapters=chapters):
            print(f"executing {path.relative_to(repo.ROOT)}", flush=True)
            authoring.execute(path)
    if args.command in ("generate", "build"):
        authoring.generate(chapters)
        print(f"regenerated chapters/ for {', '.join(chapters)}")
    if args.command in ("validate", "build"):
        problems = authoring.validate(chapters)
        for path, problem in problems:
            print(f"NOT VALID {path.relative_to(repo.ROOT)}:\n{problem}\n")
        if problems:
            return 1
        print(f"valid: solutions pass and student versions fail, for {', '.join(chapters)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
