"""An nbgrader course on disk: where releases, submissions, grades and feedback live.

The course root holds solutions/ (nbgrader's source) and chapters/ (its release folder); the
state (submissions, autograded copies, feedback, the SQLite gradebook, the judge's key) lives in
`state` (ROOT/.grading by default). Every nbgrader command the tool runs gets these settings as
flags, so a course elsewhere (a test's temporary folder) needs no config file.
"""
import json
import os
import re
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from grading import repo

COURSE_ID = "neurons-to-transformers"
STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}")


@dataclass(frozen=True)
class Course:
    root: Path = repo.ROOT
    state: Path = None
    db_url: str = None

    def __post_init__(self):
        object.__setattr__(self, "root", Path(self.root).resolve())
        object.__setattr__(self, "state", Path(self.state or self.root / ".grading").resolve())
        object.__setattr__(self, "db_url", self.db_url or f"sqlite:///{self.state / 'gradebook.db'}")

    def submitted(self, student, chapter):
        """The folder holding a student's submitted notebook of `chapter`."""
        return self.state / "submitted" / student / chapter

    def autograded(self, student, chapter):
        return self.state / "autograded" / student / chapter

    def feedback(self, student, chapter):
        return self.state / "feedback" / student / chapter

    def verdict(self, student, chapter):
        """A submission's verdict file (outside the autograded folder, so not in the feedback)."""
        return self.state / "verdicts" / chapter / f"{student}.json"

    def load_verdict(self, student, chapter):
        """The saved verdict of a submission (a dict), or None before it is graded."""
        path = self.verdict(student, chapter)
        return json.loads(path.read_text()) if path.is_file() else None

    def release_notebook(self, chapter):
        """The released student notebook of `chapter` (chapters/NAME/NAME.ipynb)."""
        return self.root / repo.CHAPTERS / chapter / f"{chapter}.ipynb"

    def key(self):
        """The judge's secret key (created on first use, readable by the instructor only)."""
        path = self.state / "judge.key"
        if not path.exists():
            self.state.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(secrets.token_bytes(32))
        return path.read_bytes()

    def flags(self):
        """nbgrader command-line settings for this course."""
        rel = os.path.relpath
        return [f"--CourseDirectory.root={self.root}", f"--CourseDirectory.course_id={COURSE_ID}",
                f"--CourseDirectory.source_directory={repo.SOLUTIONS}",
                f"--CourseDirectory.release_directory={repo.CHAPTERS}",
                f"--CourseDirectory.submitted_directory={rel(self.state / 'submitted', self.root)}",
                f"--CourseDirectory.autograded_directory={rel(self.state / 'autograded', self.root)}",
                f"--CourseDirectory.feedback_directory={rel(self.state / 'feedback', self.root)}",
                f"--CourseDirectory.db_url={self.db_url}"]

    def nbgrader(self, *args, check=True):
        """Run `nbgrader ARGS` for this course; returns the CompletedProcess (output captured)."""
        self.state.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "nbgrader", *args, *self.flags()]
        result = subprocess.run(cmd, cwd=self.root, env=repo.tool_env(), text=True, capture_output=True)
        if check and result.returncode != 0:
            raise RuntimeError(f"nbgrader {' '.join(args)} failed ({result.returncode}):\n"
                               f"{result.stdout}\n{result.stderr}")
        return result


def check_student_id(student):
    """`student` if it is a safe folder and gradebook name, else ValueError naming it."""
    if not isinstance(student, str) or not STUDENT_ID.fullmatch(student):
        raise ValueError(f"student id {student!r} must be 1-100 letters, digits or _.@- and start with "
                         f"a letter or digit")
    return student
