"""`python -m grading COMMAND ...`: the course's authoring and instructor commands.

Authoring (CHAPTER optional: every chapter when left out):
  execute   [CHAPTER ...]  run solutions notebooks top to bottom on the CPU, storing outputs
  generate  [CHAPTER ...]  regenerate chapters/ from solutions/ with nbgrader
  validate  [CHAPTER ...]  nbgrader validate: solutions pass, student versions fail every test
  build     [CHAPTER ...]  execute, then generate, then validate

Instructor (one CHAPTER each):
  release   CHAPTER [--exchange DIR]  record the chapter in the gradebook; publish to an exchange
  import    CHAPTER FOLDER           take FOLDER/STUDENT/*.ipynb as the class's submissions
  collect   CHAPTER [--exchange DIR]  take the submissions from nbgrader's exchange
  autograde CHAPTER                  grade every submission, sandboxed, in parallel
  feedback  CHAPTER                  HTML feedback per student (nbgrader generate_feedback)
  export    [--to FILE]              all grades as CSV (nbgrader export)
  summary   CHAPTER                  score distribution, pass rate per exercise, failed runs
"""
import argparse
import os
import sys
from pathlib import Path

from grading import repo, report, submissions
from grading.course import Course

AUTHORING = ("execute", "generate", "validate", "build")


def _authoring(command, chapters):
    from grading import authoring  # nbclient: only the authoring commands need it

    known = repo.chapter_names()
    unknown = [c for c in chapters if c not in known]
    if unknown:
        raise SystemExit(f"unknown chapter(s) {', '.join(unknown)}; known: {', '.join(known)}")
    chapters = chapters or known
    if command in ("execute", "build"):
        for path in repo.notebooks(repo.SOLUTIONS, chapters=chapters):
            print(f"executing {path.relative_to(repo.ROOT)}", flush=True)
            authoring.execute(path)
    if command in ("generate", "build"):
        authoring.generate(chapters)
        print(f"regenerated chapters/ for {', '.join(chapters)}")
    if command in ("validate", "build"):
        problems = authoring.validate(chapters)
        for path, problem in problems:
            print(f"NOT VALID {path.relative_to(repo.ROOT)}:\n{problem}\n")
        if problems:
            return 1
        print(f"valid: solutions pass and student versions fail, for {', '.join(chapters)}")
    return 0


def _parser():
    parser = argparse.ArgumentParser(prog="python -m grading", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--course", default=repo.ROOT, help="course root (default: this repository)")
    parser.add_argument("--state", default=None, help="grading state folder (default: COURSE/.grading)")
    parser.add_argument("--db", default=None, help="gradebook SQLAlchemy URL (default: SQLite in the state folder)")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in AUTHORING:
        sub.add_parser(name).add_argument("chapters", nargs="*")
    for name in ("release", "collect"):
        p = sub.add_parser(name)
        p.add_argument("chapter")
        p.add_argument("--exchange", default=None, help="nbgrader exchange folder")
    p = sub.add_parser("import")
    p.add_argument("chapter")
    p.add_argument("folder")
    p = sub.add_parser("autograde")
    p.add_argument("chapter")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 2,
                   help="sandboxes at a time (default: one per CPU core)")
    p.add_argument("--timeout", type=float, default=60.0, help="wall-clock seconds per submission")
    p.add_argument("--memory", type=int, default=3072, help="address-space limit per submission, MiB")
    p.add_argument("--force", action="store_true", help="re-grade submissions that already have a verdict")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    for name in ("feedback", "summary"):
        sub.add_parser(name).add_argument("chapter")
    sub.add_parser("export").add_argument("--to", default="grades.csv")
    return parser


def main(argv=None):
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command in AUTHORING:
        return _authoring(args.command, args.chapters)
    course = Course(args.course, args.state, args.db)
    exchange = [f"--Exchange.root={args.exchange}"] if getattr(args, "exchange", None) else []
    if args.command == "release":
        course.nbgrader("generate_assignment", args.chapter, "--force")
        if exchange:
            course.nbgrader("release_assignment", args.chapter, "--force", *exchange)
        print(f"released {args.chapter}")
    elif args.command == "collect":
        course.nbgrader("collect", args.chapter, "--update", *exchange)
        print(f"collected {len(submissions.submitted_students(course, args.chapter))} submissions")
    elif args.command == "import":
        for student, note in submissions.import_folder(course, args.chapter, args.folder).items():
            print(f"{student}: {note}")
    elif args.command == "autograde":
        from grading import autograde, sandbox  # torch: only grading needs it (seconds per command)

        if args.workers < 1 or args.timeout <= 0 or args.memory < 512:
            parser.error("autograde needs --workers >= 1, --timeout > 0 seconds and --memory >= 512 MiB")
        limits = sandbox.Limits(wall_s=args.timeout, memory_mb=args.memory)
        try:
            done = autograde.grade_all(course, args.chapter, args.workers, limits, args.force, not args.quiet)
        except sandbox.SandboxUnavailable as e:
            raise SystemExit(str(e)) from None
        print(f"graded {len(done)} submissions of {args.chapter}")
    elif args.command == "feedback":
        course.nbgrader("generate_feedback", args.chapter, "--force")
        print(f"feedback in {course.state / 'feedback'}/STUDENT/{args.chapter}/")
    elif args.command == "export":
        target = Path(args.to).expanduser().resolve()  # from where the command runs; nbgrader runs in the course
        course.nbgrader("export", f"--CsvExportPlugin.to={target}")
        print(f"grades written to {target}")
    elif args.command == "summary":
        print(report.summary(course, args.chapter))
    return 0


if __name__ == "__main__":
    sys.exit(main())
