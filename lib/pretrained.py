"""The shipped TinyGPT checkpoint (lib/checkpoints/, made by its train.py) and the results of
the same script's ladder: the model built up one part at a time, each trained the same way.

    model, tokenizer, info = pretrained.tinygpt()   # eval mode, on the CPU
    pretrained.ladder()                             # {"rungs": [...], "settings": {...}}
"""
import json
from pathlib import Path

import torch

from lib.gpt import TinyGPT
from lib.tokenizer import CharTokenizer
from lib.transformer import TransformerConfig

FOLDER = Path(__file__).parent / "checkpoints"


def tinygpt(device="cpu"):
    """(model, tokenizer, info): the pre-trained TinyGPT on `device` in eval mode, its
    CharTokenizer, and what train.py recorded (validation loss, steps, run time, ...)."""
    saved = torch.load(FOLDER / "tinygpt_prose.pt", map_location=device, weights_only=True)
    model = TinyGPT(TransformerConfig(**saved["config"])).to(device)
    model.load_state_dict(saved["state_dict"])
    model.eval()
    return model, CharTokenizer(saved["chars"]), results()["checkpoint"]


def results():
    """Everything train.py recorded, as a dict (lib/checkpoints/results.json)."""
    return json.loads((FOLDER / "results.json").read_text())


def ladder():
    """The ladder part of results(): settings, and per rung its name, config, lr and losses."""
    return results()["ladder"]
