"""The vision widget's numbers against lib.cnn and lib.explain called directly, its read-out
(parsed as the browser test parses it), its figure, and its sliders driving the read-out."""
import re

import matplotlib
import pytest
import torch

from lib.cnn import CNN, DEEPER, CNNConfig
from lib.explain import class_activation_map, saliency
from lib.widgets.vision import VisionWidget, mosaic

matplotlib.use("Agg")


def widget(config=DEEPER, labels=True, seed=0):
    torch.manual_seed(seed)
    model = CNN(config).double().eval()
    images = torch.rand(5, 1, 8, 8, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return VisionWidget(model, images, torch.tensor([3, 1, 4, 1, 5]) if labels else None)


def readout_numbers(text):
    """{name: number} from `name = value` parts three spaces apart (as tests/browser reads them)."""
    return {name: float(value) for name, _, value in (p.partition(" = ") for p in re.split(r"\s{3,}", text.strip()))}


@pytest.mark.parametrize("image, layer", [(0, 0), (2, 1), (4, 2)])
def test_compute_equals_the_library_functions(image, layer):
    w = widget()
    r = w.compute(image, layer)
    x = w.images[image:image + 1]
    probs = torch.softmax(w.model(x)[0].detach(), dim=0)
    predicted = int(probs.argmax())
    assert r["predicted"] == predicted and r["probability"] == pytest.approx(float(probs[predicted]), abs=1e-12)
    maps = w.model.feature_maps(x)[layer][0].detach()
    torch.testing.assert_close(torch.tensor(r["maps"], dtype=torch.float64), maps, rtol=0, atol=0)
    torch.testing.assert_close(torch.tensor(r["saliency"], dtype=torch.float64), saliency(w.model, x, predicted)[0])
    cam, coarse = class_activation_map(w.model, x, predicted, layer)
    torch.testing.assert_close(torch.tensor(r["cam"], dtype=torch.float64), cam[0])
    torch.testing.assert_close(torch.tensor(r["coarse"], dtype=torch.float64), coarse[0])
    row, column = r["cam_peak"]
    assert r["cam"][row][column] == max(max(line) for line in r["cam"])
    means = maps.mean(dim=(1, 2))
    assert [float(means[k]) for k in r["strongest"]] == sorted(means.tolist(), reverse=True)
    assert r["label"] == [3, 1, 4, 1, 5][image] and r["image"] == x[0, 0].tolist()


def test_readout_holds_the_numbers_of_compute():
    w = widget()
    r = w.compute(2, 1)
    numbers = readout_numbers(w.readout(2, 1))
    assert numbers == pytest.approx({"image": 2, "layer": 1, "label": 4, "predicted": r["predicted"],
                                     "probability": r["probability"], "saliency max": r["saliency_max"],
                                     "CAM peak row": r["cam_peak"][0], "CAM peak column": r["cam_peak"][1]}, abs=5e-4)
    assert "label" not in widget(labels=False).readout(2, 1)


def test_figure_draws_three_panels_and_the_strongest_maps():
    w = widget()
    fig = w.figure(1, 2)  # layer 2 of DEEPER has 64 maps of 4x4
    assert len(fig.axes) == 4
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0].startswith("image 1, label 1: predicted") and titles[1].startswith("saliency")
    assert titles[2] == "Grad-CAM of layer 2" and titles[3].startswith("layer 2: the 16 most active of its 64")
    assert fig.axes[2].images[-1].get_array().shape == (8, 8)
    assert fig.axes[3].images[0].get_array().shape == (2 * 5 - 1, 8 * 5 - 1)
    assert [t.get_text() for t in fig.axes[3].texts] == [str(k) for k in w.compute(1, 2)["strongest"][:16]]
    assert len(widget(CNNConfig(channels=(5,)), labels=False).figure(0, 0).axes[3].texts) == 5


def test_mosaic_places_each_map_row_by_row_with_blank_gaps():
    maps = torch.arange(5 * 2 * 3, dtype=torch.float64).reshape(5, 2, 3)
    tiles, corners = mosaic(maps, 2)
    assert tiles.shape == (3 * 3 - 1, 2 * 4 - 1) and corners == [(0, 0), (0, 4), (3, 0), (3, 4), (6, 0)]
    for m, (top, left) in zip(maps, corners):
        assert torch.equal(tiles[top:top + 2, left:left + 3], m)
    assert tiles.isnan().sum() == tiles.numel() - maps.numel()


def test_moving_a_slider_updates_the_readout():
    w = widget()
    box = w.show(image=1, layer=0)
    sliders, readout = box.children[0].children, box.children[1]
    assert [s.description for s in sliders] == ["image", "layer"] and "vision-readout" in readout._dom_classes
    assert [(s.min, s.max) for s in sliders] == [(0, 4), (0, 2)]
    assert w.readout(1, 0) in readout.value
    sliders[1].value = 2
    assert w.readout(1, 2) in readout.value
    sliders[0].value = 3
    assert w.readout(3, 2) in readout.value


def test_bad_choices_and_models_are_refused():
    w = widget()
    with pytest.raises(ValueError, match=r"image must be an index in \[0, 5\), got 5"):
        w.compute(5, 0)
    with pytest.raises(ValueError, match=r"layer must be a conv layer index in \[0, 3\), got -1"):
        w.compute(0, -1)
    with pytest.raises(ValueError, match="model must be in eval mode"):
        VisionWidget(CNN(DEEPER), torch.zeros(2, 1, 8, 8))
    with pytest.raises(TypeError, match="model must be a lib.cnn.CNN"):
        VisionWidget(torch.nn.Linear(64, 10), torch.zeros(2, 1, 8, 8))
    with pytest.raises(ValueError, match=r"x must be images \(N, 1, 8, 8\)"):
        VisionWidget(CNN(DEEPER).eval(), torch.zeros(2, 64))
    with pytest.raises(ValueError, match=r"labels must have shape \(2,\)"):
        VisionWidget(CNN(DEEPER).eval(), torch.zeros(2, 1, 8, 8), torch.zeros(3, dtype=torch.long))
