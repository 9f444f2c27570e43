"""Interactive widgets: each is a class with a pure compute() and a thin show()."""
from lib.widgets.attention_map import AttentionWidget
from lib.widgets.gradient_flow import GradientFlowWidget
from lib.widgets.graph import GraphWidget
from lib.widgets.learning_curves import LearningCurveWidget
from lib.widgets.neuron import NeuronWidget
from lib.widgets.optimizers import OptimizerWidget
from lib.widgets.translation import TranslationWidget
from lib.widgets.vision import VisionWidget

__all__ = ["AttentionWidget", "GradientFlowWidget", "GraphWidget", "LearningCurveWidget", "NeuronWidget", "OptimizerWidget",
           "TranslationWidget", "VisionWidget"]
