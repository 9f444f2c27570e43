"""Plain data that crosses the sandbox boundary: tagged JSON, never pickle.

An answer's result (tensors, numbers, tuples, lists, dicts, None) is turned into a tree of
JSON objects, each tagged with its exact type. `encode` runs inside the sandbox and accepts
only exact built-in types and exact torch.Tensor, so a subclass with a forged `__eq__` cannot
pass. `decode` runs in the trusted judge and checks the tree's shape as it rebuilds it;
anything malformed raises PlainDataError.
"""
import base64
import math

import numpy as np
import torch

DTYPES = {str(d).removeprefix("torch."): d for d in (
    torch.float16, torch.bfloat16, torch.float32, torch.float64, torch.int8, torch.int16, torch.int32,
    torch.int64, torch.uint8, torch.bool,
)}
MAX_DEPTH = 20
MAX_ELEMENTS = 10_000_000


class PlainDataError(ValueError):
    """A value that cannot be, or was not, encoded as plain data."""


def encode(value, depth=0):
    """A JSON-ready tree for `value`: exact bool/int/float/str/None, torch.Tensor, tuple, list, dict."""
    if depth > MAX_DEPTH:
        raise PlainDataError(f"nested deeper than {MAX_DEPTH} levels")
    kind = type(value)
    if value is None:
        return {"t": "none"}
    if kind is bool:
        return {"t": "bool", "v": value}
    if kind is int:
        return {"t": "int", "v": str(value)}
    if kind is float:
        return {"t": "float", "v": repr(value)}
    if kind is str:
        return {"t": "str", "v": value}
    if kind is torch.Tensor:
        return _encode_tensor(value)
    if kind in (tuple, list):
        return {"t": kind.__name__, "v": [encode(v, depth + 1) for v in value]}
    if kind is dict:
        if any(type(k) is not str for k in value):
            raise PlainDataError("dict keys must be str")
        return {"t": "dict", "v": {k: encode(v, depth + 1) for k, v in value.items()}}
    raise PlainDataError(f"a {kind.__module__}.{kind.__qualname__} is not plain data")


def _encode_tensor(t):
    name = str(t.dtype).removeprefix("torch.")
    if name not in DTYPES:
        raise PlainDataError(f"tensor dtype {t.dtype} is not supported")
    if t.numel() > MAX_ELEMENTS:
        raise PlainDataError(f"tensor of {t.numel()} elements is larger than {MAX_ELEMENTS}")
    flat = t.detach().to("cpu").contiguous().reshape(-1)
    if t.dtype == torch.bfloat16:
        flat = flat.view(torch.int16)
    raw = torch.Tensor.numpy(flat).tobytes()
    return {"t": "tensor", "dtype": name, "shape": list(t.shape), "b64": base64.b64encode(raw).decode("ascii")}


def decode(tree, depth=0):
    """The value that `encode` produced `tree` from; PlainDataError if `tree` is malformed."""
    if depth > MAX_DEPTH:
        raise PlainDataError(f"nested deeper than {MAX_DEPTH} levels")
    if type(tree) is not dict or type(tree.get("t")) is not str:
        raise PlainDataError("expected a tagged object")
    tag, value = tree["t"], tree.get("v")
    try:
        if tag == "none":
            return None
        if tag == "bool" and type(value) is bool:
            return value
        if tag == "int" and type(value) is str and len(value) < 5000:
            return int(value)
        if tag == "float" and type(value) is str:
            return float(value)
        if tag == "str" and type(value) is str:
            return value
        if tag in ("tuple", "list") and type(value) is list:
            items = [decode(v, depth + 1) for v in value]
            return tuple(items) if tag == "tuple" else items
        if tag == "dict" and type(value) is dict:
            return {str(k): decode(v, depth + 1) for k, v in value.items()}
        if tag == "tensor":
            return _decode_tensor(tree)
    except (TypeError, ValueError) as e:
        raise PlainDataError(f"malformed {tag}: {e}") from None
    raise PlainDataError(f"malformed value tagged {tag!r}")


def _decode_tensor(tree):
    dtype, shape = DTYPES.get(tree.get("dtype")), tree.get("shape")
    if dtype is None or type(shape) is not list or not all(type(s) is int and s >= 0 for s in shape):
        raise PlainDataError("malformed tensor header")
    n = math.prod(shape)
    if n > MAX_ELEMENTS:
        raise PlainDataError(f"tensor of {n} elements is larger than {MAX_ELEMENTS}")
    raw = base64.b64decode(tree.get("b64", ""), validate=True)
    storage = torch.int16 if dtype == torch.bfloat16 else dtype
    itemsize = torch.empty((), dtype=storage).element_size()
    if len(raw) != n * itemsize:
        raise PlainDataError(f"tensor data holds {len(raw)} bytes, the header says {n * itemsize}")
    array = np.frombuffer(raw, dtype=torch.empty((), dtype=storage).numpy().dtype).copy()
    t = torch.from_numpy(array).reshape(shape)
    return t.view(torch.bfloat16) if dtype == torch.bfloat16 else t
