"""nbgrader configuration for the course (the course root is the repository root).

Loaded by `python -m grading ...` and, through the root nbgrader_config.py, by plain
`nbgrader` commands run from the repository root. Grading state (gradebook, submissions,
autograded copies, feedback) lives under the ignored folder `.grading/`.
"""
import os

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
state = os.path.join(root, ".grading")
os.makedirs(state, exist_ok=True)

c.CourseDirectory.root = root
c.CourseDirectory.course_id = "neurons-to-transformers"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "chapters"
c.CourseDirectory.submitted_directory = ".grading/submitted"
c.CourseDirectory.autograded_directory = ".grading/autograded"
c.CourseDirectory.feedback_directory = ".grading/feedback"
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(state, "gradebook.db")

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.Execute.timeout = 120
# Stop each notebook's kernel at once when it is done: a graceful stop of a kernel that imported
# torch takes about 2 s more, per notebook graded or validated.
c.Execute.shutdown_kernel = "immediate"
