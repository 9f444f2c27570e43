"""The feedback notebook: the release notebook, the student's answers, the judge's verdicts.

Built in the trusted process from the release (so deleted or edited test cells come back, and
hidden tests, which the release never holds, cannot appear), then rendered to HTML by
`nbgrader generate_feedback` with the scores from the gradebook.
"""
import copy

import nbformat


def notebook(release_nb, answers, verdicts, status):
    """A copy of `release_nb` with the student's `answers` ({grade_id: source}) in the answer
    cells and each graded test cell's output saying its verdict ({grade_id: Verdict})."""
    nb = copy.deepcopy(release_nb)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code":
            continue
        cell.outputs, cell.execution_count = [], None
        grade_id = meta.get("grade_id", "")
        if meta.get("solution") and grade_id in answers:
            cell.source = answers[grade_id]
        if meta.get("grade") and grade_id.endswith("_test"):
            verdict = verdicts.get(grade_id.removesuffix("_test"))
            text = (("PASSED: " if verdict.passed else "FAILED: ") + verdict.message) if verdict else status
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text + "\n")]
    return nb
