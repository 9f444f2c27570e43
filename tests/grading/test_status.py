"""The status line of a verdict says in words what happened to a submission's grading process."""
import pytest

from grading import autograde
from grading.sandbox import Outcome

DONE = b'{"done": true}\n'


def status(returncode, records=b"", timed_out=False):
    return autograde._status(Outcome(records, returncode, timed_out, 1.0, 10.0, ""))


def test_a_complete_run_is_graded_and_a_timeout_says_so():
    assert status(0, DONE) == "graded"
    assert status(-9, DONE, timed_out=True) == "timed out"


@pytest.mark.parametrize("returncode, words", [
    (0, "the submission ended the grading process itself (os._exit or similar)"),
    (-9, "killed, most likely for going over the memory limit"),
    (137, "killed, most likely for going over the memory limit"),
    (-11, "segfault"),
    (139, "segfault"),
    (-6, "aborted"),
    (1, "ended with status 1 before its report was complete"),
])
def test_an_early_end_is_described_without_a_bare_exit_code(returncode, words):
    for records in (b"", DONE):  # a report that says done still needs a clean exit
        if returncode == 0 and records == DONE:
            continue
        got = status(returncode, records)
        assert got.startswith("stopped early: ") and words in got, got
        assert "exit code" not in got and got.endswith("answers not checked by then scored 0")
