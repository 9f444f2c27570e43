"""lib.device: device choice from LIB_DEVICE, seeding, moving nested tensors."""
import random

import numpy as np
import pytest
import torch

from lib import device as libdevice


def test_cpu_and_auto(monkeypatch):
    monkeypatch.setenv("LIB_DEVICE", "cpu")
    assert libdevice.get_device() == torch.device("cpu")
    monkeypatch.setenv("LIB_DEVICE", "auto")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert libdevice.get_device() == torch.device(expected)
    monkeypatch.delenv("LIB_DEVICE")
    assert libdevice.get_device() == torch.device(expected)
    assert libdevice.get_device(" CPU ") == torch.device("cpu")


def test_bad_choice_names_the_variable(monkeypatch):
    monkeypatch.setenv("LIB_DEVICE", "tpu")
    with pytest.raises(ValueError, match="LIB_DEVICE.*'tpu'"):
        libdevice.get_device()


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error on a machine without CUDA")
def test_cuda_requested_without_cuda_is_an_error(monkeypatch):
    monkeypatch.setenv("LIB_DEVICE", "cuda")
    with pytest.raises(RuntimeError, match="no CUDA device"):
        libdevice.get_device()


def test_available_devices_lists_cpu_first():
    devices = libdevice.available_devices()
    assert devices[0] == "cpu" and ("cuda" in devices) == torch.cuda.is_available()


def test_seed_makes_all_three_generators_repeat():
    def draw():
        return random.random(), float(np.random.rand()), float(torch.rand(()))

    libdevice.seed(7)
    first = draw()
    libdevice.seed(7)
    assert draw() == first
    libdevice.seed(8)
    assert draw() != first


@pytest.mark.parametrize("bad", [-1, 1.5, "0", True])
def test_seed_rejects_non_integers(bad):
    with pytest.raises(ValueError, match="n must be a non-negative int"):
        libdevice.seed(bad)


def test_to_device_moves_nested_structures(device):
    obj = {"a": torch.zeros(2), "b": [torch.ones(1), (torch.ones(3),)]}
    moved = libdevice.to_device(obj, device)
    assert moved["a"].device.type == device.type
    assert isinstance(moved["b"][1], tuple) and moved["b"][1][0].device.type == device.type
    with pytest.raises(TypeError, match="to_device: obj must be a tensor"):
        libdevice.to_device(3, device)
