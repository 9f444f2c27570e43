"""lib.memory.peak_bytes: exact counts on computations whose allocations are known, views and
inputs not counted, and attention's quadratic against tiled attention's flat memory."""
import pytest
import torch

from lib import attention, memory


def test_one_new_matrix_is_counted_exactly(device):
    x = torch.randn(100, 100, device=device)
    out, peak = memory.peak_bytes(lambda: x @ x)
    assert peak == 100 * 100 * 4 and out.shape == (100, 100)


def test_freed_intermediates_stop_counting_and_views_count_once(device):
    x = torch.randn(100, 100, device=device, dtype=torch.float64)

    def chain():
        y = x @ x                 # 80,000 bytes
        z = y.relu()              # 80,000 more while y lives
        del y
        w = z.t()[1:]             # a view: no new storage
        return (w * 2).sum()      # 80,000 more while z lives, then a scalar
    _, peak = memory.peak_bytes(chain)
    assert peak == 2 * 80_000


def test_inputs_and_their_views_are_not_counted():
    x = torch.randn(1000)
    _, peak = memory.peak_bytes(lambda: x[10:].view(-1, 10).t())
    assert peak == 0


def test_plain_attention_grows_quadratically_and_tiled_attention_does_not():
    def peaks(T):
        q, k, v = (torch.randn(1, 2, T, 16) for _ in range(3))
        with torch.no_grad():
            plain = memory.peak_bytes(lambda: attention.scaled_dot_product_attention(q, k, v, causal=True))[1]
            tiled = memory.peak_bytes(lambda: attention.tiled_attention(q, k, v, causal=True, block_size=64))[1]
        return plain, tiled
    (p1, t1), (p2, t2) = peaks(256), peaks(512)
    assert p1 >= 2 * 256 * 256 * 4 and p2 / p1 == pytest.approx(4, rel=0.05)
    assert t2 / t1 < 2.1 and t2 < p2 / 10


def test_fn_must_be_callable():
    with pytest.raises(TypeError, match="fn must be callable"):
        memory.peak_bytes(3)


def test_tensors_made_from_python_data_and_reused_addresses_are_counted():
    _, peak = memory.peak_bytes(lambda: torch.tensor([1.0] * 1000))
    assert peak == 4000
    box = [torch.randn(1000)]

    def free_the_input_then_allocate():
        box[0].mul_(1)
        box.clear()              # the input's storage is freed; its address may be reused at once
        return torch.randn(1000)
    assert memory.peak_bytes(free_the_input_then_allocate)[1] == 4000
