"""Repository-wide pytest setup.

Stored notebook outputs are made on the CPU, so notebooks executed by the tests
(nbval and the student runs) use the CPU unless LIB_DEVICE says otherwise; lib
tests pick their devices themselves (tests/conftest.py).
"""
import os

os.environ.setdefault("LIB_DEVICE", "cpu")
