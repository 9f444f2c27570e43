"""Shared fixtures: the devices every lib test runs on."""
import pytest
import torch

DEVICES = [
    "cpu",
    pytest.param("cuda", marks=[
        pytest.mark.cuda,
        pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine"),
    ]),
]


@pytest.fixture(params=DEVICES)
def device(request):
    """Each lib test runs once per device: cpu, and cuda when one is present."""
    return torch.device(request.param)


@pytest.fixture
def gen():
    """A seeded CPU generator, so each test draws the same random inputs every run."""
    return torch.Generator().manual_seed(1234)
