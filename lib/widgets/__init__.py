"""Interactive widgets: each is a class with a pure compute() and a thin show()."""
from lib.widgets.neuron import NeuronWidget

__all__ = ["NeuronWidget"]
