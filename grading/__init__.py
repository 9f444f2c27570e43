"""The instructor's side of the course: nbgrader wiring and the `python -m grading` tool."""
