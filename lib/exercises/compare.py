"""The comparison of an answer's result with the reference result, for test cells and the judge.

In the judge it runs on values rebuilt by grading's `plaindata.decode`, so every value is an exact
built-in type or an exact torch.Tensor. Types, containers, dtypes, shapes and devices must match
exactly; NaN is accepted only where the reference itself has NaN.
"""

import math

import torch


def mismatch(got, expected, rtol, atol, where="result"):
    """None when `got` matches `expected`, else a sentence saying where and how they differ."""
    if isinstance(expected, torch.Tensor):
        return _tensor_mismatch(got, expected, rtol, atol, where)
    if type(expected) is int:
        if (
            isinstance(got, torch.Tensor)
            and got.dim() == 0
            and not got.is_floating_point()
            and got.dtype != torch.bool
        ):
            got = int(got)
        if type(got) is not int:
            return f"{where}: expected an int, got {_kind(got)}"
        return None if got == expected else f"{where}: expected {expected}, got {got}"
    if type(expected) is float:
        if type(got) not in (int, float):
            return f"{where}: expected a float, got {_kind(got)}"
        if _float_close(float(got), expected, rtol, atol):
            return None
        return f"{where}: expected {expected:.9g}, got {float(got):.9g}"
    if type(expected) in (tuple, list):
        if type(got) is not type(expected):
            return f"{where}: expected a {type(expected).__name__}, got {_kind(got)}"
        if len(got) != len(expected):
            return f"{where}: expected {len(expected)} items, got {len(got)}"
        for i, (g, e) in enumerate(zip(got, expected)):
            problem = mismatch(g, e, rtol, atol, f"{where}[{i}]")
            if problem:
                return problem
        return None
    if type(expected) is dict:
        if type(got) is not dict or set(got) != set(expected):
            return f"{where}: expected a dict with keys {sorted(expected)}, got {_kind(got)}"
        for k in expected:
            problem = mismatch(got[k], expected[k], rtol, atol, f"{where}[{k!r}]")
            if problem:
                return problem
        return None
    if type(got) is type(expected) and _equal(got, expected):
        return None
    return f"{where}: expected {expected!r}, got {_kind(got)}"


def _equal(a, b):
    """a == b as one bool; False where == gives no single truth value (arrays)."""
    try:
        return bool(a == b)
    except (TypeError, ValueError, RuntimeError):
        return False


def _kind(value):
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)}"
    if value is None or type(value) is bool:
        return repr(value)
    return f"a {type(value).__name__}"


def _float_close(got, expected, rtol, atol):
    if math.isnan(expected) or math.isnan(got):
        return math.isnan(expected) and math.isnan(got)
    if math.isinf(expected) or math.isinf(got):
        return got == expected
    return abs(got - expected) <= atol + rtol * abs(expected)


def _tensor_mismatch(got, expected, rtol, atol, where):
    if not isinstance(got, torch.Tensor):
        return f"{where}: expected a torch.Tensor, got {_kind(got)}"
    if tuple(got.shape) != tuple(expected.shape):
        return f"{where}: expected shape {tuple(expected.shape)}, got {tuple(got.shape)}"
    if got.dtype != expected.dtype:
        return f"{where}: expected dtype {expected.dtype}, got {got.dtype}"
    if got.device != expected.device:
        return f"{where}: expected a tensor on {expected.device}, got one on {got.device}"
    got = got.detach()
    if expected.is_floating_point():
        both_nan = torch.isnan(expected) & torch.isnan(got)
        bad = ~(torch.isclose(got, expected, rtol=rtol, atol=atol) | both_nan)
    else:
        bad = got != expected
    if not bad.any():
        return None
    i = tuple(int(k) for k in torch.nonzero(bad)[0])
    at = f" at index {i}" if i else ""
    return (
        f"{where}: wrong values in {int(bad.sum())} of {got.numel()} entries; first{at}: "
        f"expected {expected[i].item():.9g}, got {got[i].item():.9g}"
    )
