"""How much memory a computation's tensors take at their peak, counted where every tensor is
made: torch's dispatcher (a TorchDispatchMode sees each operator's outputs, whichever Python
name called it). The same count on every operating system and device, and the same number on
every run, unlike the process's resident memory.

    out, peak = memory.peak_bytes(lambda: scaled_dot_product_attention(q, k, v))

Counted: the storages of tensors created inside fn, each once however many views share it,
freed when its last tensor is; tensors that existed before fn (its inputs) are not counted.
Not counted: scratch memory inside an operator's kernel, and the caching of CUDA's allocator.
Limits: a storage counts as freed when the last tensor object the dispatcher returned for it
dies, so a tensor re-wrapped in a new Python object after it was made (nn.Parameter(t), then
t deleted) stops counting early; on the meta device every storage has address 0.
"""
import weakref
from collections import defaultdict

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten


class _Counter(TorchDispatchMode):
    """Live bytes of the storages created under this mode, and their peak."""

    def __init__(self):
        super().__init__()
        self.views, self.sizes = {}, {}
        self.outside = defaultdict(dict)  # storage -> {id: weak reference} of tensors made before fn
        self.current = self.peak = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if func is not torch.ops.aten.lift_fresh.default:  # torch.tensor(...) made inside fn
            for t in tree_flatten((args, kwargs))[0]:
                if isinstance(t, torch.Tensor) and _key(t) not in self.views:
                    self.outside[_key(t)][id(t)] = weakref.ref(t)
        out = func(*args, **(kwargs or {}))
        for t in tree_flatten(out)[0]:
            if isinstance(t, torch.Tensor):
                self._track(t)
        return out

    def _track(self, t):
        key = _key(t)
        if any(ref() is not None for ref in self.outside.get(key, {}).values()):
            return  # a view of an input; once every input tensor there has died, the address is free
        if key not in self.views:
            self.views[key], self.sizes[key] = 0, t.untyped_storage().nbytes()
            self.current += self.sizes[key]
            self.peak = max(self.peak, self.current)
        self.views[key] += 1
        weakref.finalize(t, self._release, key)

    def _release(self, key):
        self.views[key] -= 1
        if self.views[key] == 0:
            self.current -= self.sizes.pop(key)
            del self.views[key]


def _key(t):
    """What identifies a tensor's storage: its device and the address of its data."""
    return t.device, t.untyped_storage().data_ptr()


def peak_bytes(fn):
    """(fn(), the peak number of bytes held by tensors that fn created), with fn's result kept."""
    if not callable(fn):
        raise TypeError(f"fn must be callable, got {type(fn).__name__}")
    counter = _Counter()
    with counter:
        out = fn()
    return out, counter.peak
