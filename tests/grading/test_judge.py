"""The judge's parts: plain data, strict comparison, seeds, record parsing, spec coverage."""
import json
import math

import nbformat
import pytest
import torch

from grading import judge, plaindata, repo
from lib import exercises
from lib.exercises import compare
from tests.notebooks import nbtools


@pytest.mark.parametrize("chapter", repo.chapter_names())
def test_every_exercise_has_a_definition_writing_to_a_graded_cell(chapter):
    nb = nbformat.read(repo.ROOT / repo.SOLUTIONS / chapter / f"{chapter}.ipynb", as_version=4)
    answers, tests = list(nbtools.answer_cells(nb)), nbtools.graded_test_ids(nb)
    assert [e.grade_id for e in exercises.for_chapter(chapter)] == answers
    assert [e.test_id for e in exercises.for_chapter(chapter)] == tests


@pytest.mark.parametrize("dtype", sorted(plaindata.DTYPES.values(), key=str))
def test_tensors_round_trip_exactly(dtype, gen):
    x = (torch.randn(3, 4, generator=gen) * 100).to(dtype)
    back = plaindata.decode(json.loads(json.dumps(plaindata.encode(x))))
    assert back.dtype == dtype and back.shape == x.shape
    assert torch.equal(back.view(torch.int16) if dtype == torch.bfloat16 else back,
                       x.view(torch.int16) if dtype == torch.bfloat16 else x)


def test_nested_values_round_trip_with_their_types():
    value = (1, 2.5, float("nan"), None, True, "s", [torch.zeros(0)], {"k": (2 ** 80,)})
    back = plaindata.decode(plaindata.encode(value))
    assert type(back) is tuple and type(back[0]) is int and type(back[4]) is bool and type(back[6]) is list
    assert math.isnan(back[2]) and back[7]["k"][0] == 2 ** 80


class Forged(torch.Tensor):
    def __eq__(self, other):
        return True


class ForgedInt(int):
    def __eq__(self, other):
        return True


@pytest.mark.parametrize("value", [torch.zeros(2).as_subclass(Forged), ForgedInt(3), object(), {1: 2},
                                   torch.zeros(2, dtype=torch.complex64), lambda: 0])
def test_encode_refuses_anything_but_exact_plain_types(value):
    with pytest.raises(plaindata.PlainDataError):
        plaindata.encode(value)


@pytest.mark.parametrize("tree", [
    {"t": "tensor", "dtype": "float32", "shape": [2], "b64": "AAAA"},  # 3 bytes for 8
    {"t": "tensor", "dtype": "object", "shape": [1], "b64": ""},
    {"t": "tensor", "dtype": "float32", "shape": [-1], "b64": ""},
    {"t": "int", "v": 3}, {"t": "bool", "v": 1}, {"t": "pickle", "v": "..."}, [1], "x",
    {"t": "list", "v": [{"t": "list", "v": [{"t": "evil"}]}]},
])
def test_decode_rejects_malformed_trees(tree):
    with pytest.raises(plaindata.PlainDataError):
        plaindata.decode(tree)


def test_decode_rejects_deep_nesting():
    tree = {"t": "none"}
    for _ in range(plaindata.MAX_DEPTH + 5):
        tree = {"t": "list", "v": [tree]}
    with pytest.raises(plaindata.PlainDataError, match="deeper"):
        plaindata.decode(tree)


@pytest.mark.parametrize("got, expected, needle", [
    (torch.zeros(3, dtype=torch.float64), torch.zeros(3), "dtype"),
    (torch.zeros(1, 3), torch.zeros(3), "shape"),
    (torch.tensor([float("nan")]), torch.tensor([0.0]), "wrong values"),
    (torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.1]), "index (1,)"),
    (True, 1, "expected an int"),
    ([1, 2], (1, 2), "expected a tuple"),
    ((1,), (1, 2), "2 items"),
    (None, 0.5, "expected a float"),
    (float("nan"), 0.5, "expected 0.5"),
])
def test_compare_rejects_with_a_reason(got, expected, needle):
    problem = compare.mismatch(got, expected, rtol=1e-5, atol=1e-6)
    assert problem is not None and needle in problem, problem


def test_compare_accepts_equal_values_and_nan_where_the_reference_has_it():
    assert compare.mismatch(torch.tensor([float("nan"), 1.0]), torch.tensor([float("nan"), 1.0]), 0, 0) is None
    assert compare.mismatch(torch.tensor(3), 3, 0, 0) is None  # a 0-D integer tensor counts as an int
    assert compare.mismatch(2, 2.0, 1e-9, 0) is None
    assert compare.mismatch(torch.tensor(True), 1, 0, 0) is not None


def test_seeds_repeat_per_student_and_differ_between_students():
    key = b"k" * 32
    a = judge.seed_for(key, "01_neurons", "alice", "ch01_sigmoid")
    assert a == judge.seed_for(key, "01_neurons", "alice", "ch01_sigmoid")
    assert a != judge.seed_for(key, "01_neurons", "bob", "ch01_sigmoid")
    assert a != judge.seed_for(b"x" * 32, "01_neurons", "alice", "ch01_sigmoid")


def test_absurd_records_are_dropped_without_crashing():
    deep = "[" * 200_000 + "]" * 200_000
    records, errors, done = judge.parse_records(f"{deep}\n\xff\xfe\n{{}}\n".encode("latin-1"))
    assert records == {} and errors == {} and not done


def test_a_case_reported_twice_cannot_pass():
    line = json.dumps({"case": ["ch01_count_params", 0], "result": plaindata.encode(3)})
    records, _, _ = judge.parse_records(f"{line}\n{line}\nnot json\n[1]\n".encode())
    assert records == {("ch01_count_params", 0): None}
    job = judge.Job(b"", {"ch01_count_params": [exercises.Case(([2, 1],), "one neuron")]})
    verdict = judge.verdicts(job, f"{line}\n{line}\n".encode())["ch01_count_params"]
    assert not verdict.passed and "more than one result" in verdict.message
    single = json.dumps({"case": ["ch01_count_params", 0], "result": plaindata.encode(3)})
    assert judge.verdicts(job, single.encode())["ch01_count_params"].passed


@pytest.mark.parametrize("grade_id", ["ch02_topological_order", "ch04_stratified_split"])
@pytest.mark.parametrize("claim", [None, 3, "x", [1, "a"], (torch.zeros(2),), [[None]]])
def test_property_checks_reject_any_claimed_structure_without_crashing(grade_id, claim, gen):
    case = exercises.get(grade_id).cases(gen)[0]
    job = judge.Job(b"", {grade_id: [case]})
    record = json.dumps({"case": [grade_id, 0], "result": plaindata.encode(claim)})
    verdict = judge.verdicts(job, record.encode())[grade_id]
    assert not verdict.passed


def test_a_refused_answer_cell_never_reaches_the_sandbox_and_its_claims_count_for_nothing():
    """A cell breaking lib.source_rules is replaced by an empty one (the switch cell after it still
    runs), so it cannot touch how later answers are graded; records claiming its cases are ignored."""
    answers = {"ch01_count_params": "import os\nos.system('true')\n\ndef count_params(sizes):\n    return 0\n",
               "ch01_sigmoid": "%time y = 1\ndef sigmoid(x):\n    return 1 / (1 + torch.exp(-x))\n"}
    job = judge.make_job("01_neurons", "s", b"key", judge.Release("import torch", {}), answers, 10.0)
    body = json.loads(job.payload)
    assert "os.system" not in job.payload.decode()
    assert ["ch01_count_params", ""] in body["answers"] and body["exercises"]["ch01_count_params"] == []
    assert len(body["exercises"]["ch01_sigmoid"]) == len(job.cases["ch01_sigmoid"]) > 0
    claims = "".join(json.dumps({"case": ["ch01_count_params", i], "result": plaindata.encode(
        exercises.get("ch01_count_params").expected(*case.args))}) + "\n" for i, case in enumerate(job.cases["ch01_count_params"]))
    verdict = judge.verdicts(job, claims.encode())["ch01_count_params"]
    assert not verdict.passed and verdict.message.startswith("your answer cell was not run: line 1: imports os")
