"""Widget: what a trained CNN sees in one image. Pick an image and a conv layer; see the image, its
saliency map, the layer's Grad-CAM for the predicted class, and the layer's strongest feature maps.

compute() is lib.cnn.CNN.feature_maps, lib.explain.saliency and lib.explain.class_activation_map
on the chosen image (tests/lib/test_widget_vision.py checks its numbers against those functions).
"""
import torch

from lib import validate
from lib.cnn import CNN, check_images
from lib.explain import class_activation_map, saliency
from lib.widgets.live import live_view

SHOWN_MAPS = 16  # the figure draws at most this many feature maps, the most active first
MOSAIC_COLUMNS = 8


def mosaic(maps, columns):
    """maps (F, h, w) -> (tiles (R (h + 1) - 1, min(F, columns) (w + 1) - 1), corners): the maps in
    R = ceil(F / columns) rows, row by row, one NaN pixel between neighbours (drawn blank);
    corners: the (row, column) of each map's top-left pixel in tiles."""
    f, h, w = maps.shape
    rows, width = -(-f // columns), min(f, columns)
    tiles = maps.new_full((rows * (h + 1) - 1, width * (w + 1) - 1), float("nan"))
    corners = [(j // columns * (h + 1), j % columns * (w + 1)) for j in range(f)]
    for m, (top, left) in zip(maps, corners):
        tiles[top:top + h, left:left + w] = m
    return tiles, corners


class VisionWidget:
    """model: a lib.cnn.CNN in eval mode; images: (N, C, H, W) of the model's size; labels: (N,)
    class indices or None."""

    def __init__(self, model, images, labels=None):
        if not isinstance(model, CNN):
            raise TypeError(f"model must be a lib.cnn.CNN, got {type(model).__name__}")
        if model.training:
            raise ValueError("model must be in eval mode (call model.eval()), so that the maps do not change "
                             "from one redraw to the next")
        check_images(images, model.config)
        if labels is not None:
            validate.labels(labels, "labels", images.shape[0], model.config.classes)
        self.model, self.images, self.labels = model, images, labels
        self.cache = {}

    def _explained(self, image):
        """image's probabilities (K,), feature maps [(F_l, h_l, w_l)], saliency (H, W) and Grad-CAMs
        [((H, W), (h_l, w_l))] for the predicted class, computed once per image."""
        if image not in self.cache:
            x = self.images[image:image + 1]  # (1, C, H, W)
            with torch.no_grad():
                logits, maps = self.model(x, need_maps=True)
            probs = torch.softmax(logits[0], dim=0)  # (K,)
            predicted = int(probs.argmax())
            cams = [tuple(t[0] for t in class_activation_map(self.model, x, predicted, layer))
                    for layer in range(len(maps))]
            self.cache[image] = (probs, [m[0] for m in maps], saliency(self.model, x, predicted)[0], cams)
        return self.cache[image]

    def compute(self, image, layer):
        """{"image": (H, W) the image (mean over channels), "label": its class or None,
        "predicted", "probability": the predicted class and its softmax probability,
        "maps": (F, h, w) the layer's feature maps, "strongest": map indices by mean activation,
        largest first, "saliency": (H, W), "saliency_max", "cam": (H, W) Grad-CAM resized to the
        image, "coarse": (h, w) at the layer's size, "cam_peak": (row, column) of cam's largest
        value}; nested lists and Python numbers."""
        n, n_layers = self.images.shape[0], len(self.model.convs)
        if isinstance(image, bool) or not isinstance(image, int) or not 0 <= image < n:
            raise ValueError(f"image must be an index in [0, {n}), got {image!r}")
        if isinstance(layer, bool) or not isinstance(layer, int) or not 0 <= layer < n_layers:
            raise ValueError(f"layer must be a conv layer index in [0, {n_layers}), got {layer!r}")
        probs, maps, sal, cams = self._explained(image)
        cam, coarse = cams[layer]
        strongest = maps[layer].mean(dim=(1, 2)).argsort(descending=True)  # (F,)
        return {"image": self.images[image].mean(dim=0).tolist(),
                "label": None if self.labels is None else int(self.labels[image]),
                "predicted": int(probs.argmax()), "probability": float(probs.max()),
                "maps": maps[layer].tolist(), "strongest": strongest.tolist(),
                "saliency": sal.tolist(), "saliency_max": float(sal.max()), "cam": cam.tolist(),
                "coarse": coarse.tolist(), "cam_peak": divmod(int(cam.argmax()), cam.shape[1])}

    def readout(self, image, layer):
        """One line: image, layer, label, prediction and probability, saliency max, CAM peak."""
        r = self.compute(image, layer)
        label = "" if r["label"] is None else f"label = {r['label']}   "
        return (f"image = {image}   layer = {layer}   {label}predicted = {r['predicted']}   "
                f"probability = {r['probability']:.3f}   saliency max = {r['saliency_max']:.4f}   "
                f"CAM peak row = {r['cam_peak'][0]}   CAM peak column = {r['cam_peak'][1]}")

    def figure(self, image, layer):
        """Top: the image, its saliency map, the layer's Grad-CAM over the image; below: the
        layer's most active feature maps (at most SHOWN_MAPS) side by side on one colour scale."""
        import matplotlib.pyplot as plt

        r = self.compute(image, layer)
        shown = r["strongest"][:SHOWN_MAPS]
        fig = plt.figure(figsize=(10, 6.4))
        grid = fig.add_gridspec(2, 3, height_ratios=[1.4, 1])
        truth = "" if r["label"] is None else f", label {r['label']}"
        panels = [("image", f"image {image}{truth}: predicted {r['predicted']} ({r['probability']:.2f})"),
                  ("saliency", "saliency |d score / d pixel|"), ("cam", f"Grad-CAM of layer {layer}")]
        for i, (key, title) in enumerate(panels):
            ax = fig.add_subplot(grid[0, i])
            ax.imshow(r["image"], cmap="gray_r")
            if key != "image":
                ax.imshow(r[key], cmap="inferno", alpha=0.65)
            ax.set_title(title, fontsize=9)
            ax.axis("off")
        ax = fig.add_subplot(grid[1, :])
        tiles, corners = mosaic(torch.tensor(r["maps"])[shown], MOSAIC_COLUMNS)
        ax.imshow(tiles.numpy(), cmap="viridis")
        for k, (row, column) in zip(shown, corners):
            ax.text(column - 0.4, row - 0.4, str(k), color="w", fontsize=7, va="top")
        ax.set_title(f"layer {layer}: the {len(shown)} most active of its {len(r['maps'])} feature maps "
                     "(numbered, one colour scale)", fontsize=9)
        ax.axis("off")
        fig.tight_layout()
        return fig

    def show(self, image=0, layer=0):
        """Display image and layer sliders, the read-out and the figure; returns the ipywidgets box."""
        import ipywidgets as widgets

        controls = {
            "image": widgets.IntSlider(value=image, min=0, max=self.images.shape[0] - 1, description="image",
                                       continuous_update=False),
            "layer": widgets.IntSlider(value=layer, min=0, max=len(self.model.convs) - 1, description="layer",
                                       continuous_update=False),
        }
        return live_view(controls, self.readout, self.figure, "vision-readout")
