"""lib: the shared implementation behind every chapter of Neurons to Transformers.

Notebooks do `import lib` and call what is re-exported here; each name lives in the
module named after its idea (see docs/architecture.md).
"""
from lib.activations import relu, relu_grad, sigmoid, sigmoid_grad, tanh, tanh_grad
from lib.device import available_devices, get_device, seed, to_device
from lib.losses import mse
from lib.mlp import count_params, init_mlp, memory_bytes, mlp_backward, mlp_forward
from lib.neuron import neuron_forward, neuron_mse_grads, neuron_step

__all__ = [
    "available_devices", "count_params", "get_device", "init_mlp", "memory_bytes", "mlp_backward",
    "mlp_forward", "mse", "neuron_forward", "neuron_mse_grads", "neuron_step", "relu", "relu_grad",
    "seed", "sigmoid", "sigmoid_grad", "tanh", "tanh_grad", "to_device",
]
