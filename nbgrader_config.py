# Plain `nbgrader` commands run from the repository root use the course's configuration.
load_subconfig("grading/nbgrader_config.py")  # noqa: F821
