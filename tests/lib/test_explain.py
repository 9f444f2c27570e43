"""lib.explain: the saliency map against torch.autograd.grad of each image's score on its own,
Grad-CAM against the same computed on the torch twin of the CNN cut at the chosen layer, Grad-CAM
equal to the classic CAM for a global-average-pool head, and the model left as it was."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from lib.cnn import CNN, CNNConfig
from lib.explain import class_activation_map, saliency
from tests.lib.test_attention import DTYPES, TOL, randn
from tests.lib.test_cnn import CONFIGS, twins


def per_image_gradient(score_of, inputs, targets):
    """d score_of(inputs[n:n+1])[0, targets[n]] / d inputs[n], one image at a time: (N, ...)."""
    grads = []
    for n in range(inputs.shape[0]):
        leaf = inputs[n:n + 1].detach().clone().requires_grad_(True)
        (g,) = torch.autograd.grad(score_of(leaf)[0, targets[n]], leaf)
        grads.append(g[0])
    return torch.stack(grads)


def plain_torch_model():
    return nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.Tanh(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(48, 5))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", [*CONFIGS, "torch model"])
def test_saliency_equals_autograd_of_each_images_score(device, gen, dtype, name):
    if name == "torch model":
        model, classes = plain_torch_model().to(device=device, dtype=dtype).eval(), 5
        x = randn(gen, 4, 2, 8, 8, dtype=dtype, device=device)
    else:
        (model, _, _, x), classes = twins(CONFIGS[name], device, dtype, gen), CONFIGS[name].classes
    targets = torch.randint(0, classes, (4,), generator=gen).to(device)
    expected = per_image_gradient(model, x, targets).abs().amax(dim=1)  # (N, H, W)
    got = saliency(model, x, targets)
    assert got.shape == (4, *x.shape[2:]) and got.dtype == dtype and got.device == x.device
    assert (got - expected).abs().max() < TOL[dtype]
    one_class = saliency(model, x, 2)
    assert (one_class - per_image_gradient(model, x, [2] * 4).abs().amax(dim=1)).abs().max() < TOL[dtype]


def test_saliency_of_a_linear_model_is_its_weights():
    model = nn.Sequential(nn.Flatten(), nn.Linear(3 * 4 * 4, 6)).double()
    x = torch.randn(2, 3, 4, 4, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    expected = model[1].weight[4].detach().reshape(3, 4, 4).abs().amax(dim=0)
    torch.testing.assert_close(saliency(model, x, 4), expected.expand(2, 4, 4), rtol=0, atol=1e-15)


def twin_cut_at(theirs, maps, layer):
    """The torch twin split at conv layer `layer`'s ReLU: (layers up to it, layers after it)."""
    cut = maps[layer] + 1
    return theirs[:cut], theirs[cut:]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", CONFIGS)
def test_grad_cam_equals_the_gradient_taken_on_the_torch_twin(device, gen, dtype, name):
    config = CONFIGS[name]
    ours, theirs, maps, x = twins(config, device, dtype, gen, n=3)
    targets = torch.randint(0, config.classes, (3,), generator=gen).to(device)
    for layer in range(len(config.channels)):
        before, after = twin_cut_at(theirs, maps, layer)
        A = before(x).detach()  # (N, F, h, w)
        grad = per_image_gradient(after, A, targets)  # (N, F, h, w)
        coarse = torch.relu((grad.mean(dim=(2, 3))[:, :, None, None] * A).sum(dim=1))  # (N, h, w)
        cam, got_coarse = class_activation_map(ours, x, targets, layer)
        assert got_coarse.shape == A.shape[:1] + A.shape[2:] and cam.shape == (3, *x.shape[2:])
        assert (got_coarse - coarse).abs().max() < TOL[dtype], f"layer {layer}"
        upsampled = F.interpolate(coarse[:, None], size=x.shape[2:], mode="bilinear", align_corners=False)[:, 0]
        assert (cam - upsampled).abs().max() < TOL[dtype], f"layer {layer}"
        again = class_activation_map(ours, x, targets, layer - len(config.channels))[1]  # counted from the end
        assert (again - got_coarse).abs().max() < TOL[dtype]  # not bitwise: CUDA's index_add_ adds in any order


def test_cam_keeps_the_input_size_when_the_maps_have_it(gen):
    model = CNN(CNNConfig(channels=(4,), padding=1, pool_after=())).double()
    cam, coarse = class_activation_map(model, randn(gen, 2, 1, 8, 8), 3, 0)
    torch.testing.assert_close(cam, coarse, rtol=0, atol=1e-15)


@pytest.mark.parametrize("seed", range(5))
def test_grad_cam_is_the_classic_cam_for_a_global_average_pool_head(seed):
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = CNN(CNNConfig(channels=(6, 5), padding=1, pool_after=(0,), global_avg_pool=True, hidden=())).double()
    x, target = randn(gen, 3, 1, 8, 8), int(torch.randint(0, 10, (), generator=gen))
    A = model.feature_maps(x)[-1].detach()  # (N, F, 4, 4)
    W = model.head[-1].weight.detach()  # (classes, F)
    classic = (W[target][None, :, None, None] * A).sum(dim=1)  # Zhou et al.: sum_k w_k^c A_k
    _, coarse = class_activation_map(model, x, target, -1)
    torch.testing.assert_close(coarse * (4 * 4), torch.relu(classic), rtol=0, atol=1e-12)


@pytest.mark.parametrize("explain", [lambda m, x, t: saliency(m, x, t),
                                     lambda m, x, t: class_activation_map(m, x, t, 0)], ids=["saliency", "cam"])
def test_the_model_and_input_are_left_as_they_were(gen, explain):
    model = CNN(CONFIGS["rgb, 5x5, dropout"]).double().train()
    model.convs[1].eval()  # a mixed state must come back as it was
    modes = [m.training for m in model.modules()]
    model.head[-1].bias.grad = torch.ones(3, dtype=torch.float64)
    x = randn(gen, 2, 3, 11, 11)
    copy = x.clone()
    with torch.no_grad():  # works without grad mode, and leaves it off
        first = explain(model, x, 1)
        assert not torch.is_grad_enabled()
    assert [m.training for m in model.modules()] == modes
    assert all(p.grad is None for p in model.parameters() if p is not model.head[-1].bias)
    assert torch.equal(model.head[-1].bias.grad, torch.ones(3, dtype=torch.float64))
    assert torch.equal(x, copy) and not x.requires_grad
    second = explain(model, x, 1)  # eval mode inside: dropout off, the same answer twice
    for a, b in zip(first if isinstance(first, tuple) else [first], second if isinstance(second, tuple) else [second]):
        assert torch.equal(a, b)


def test_bad_arguments_get_clear_errors(gen):
    model, x = CNN(CNNConfig()), randn(gen, 2, 1, 8, 8, dtype=torch.float32)
    with pytest.raises(ValueError, match=r"layer must be a conv layer index in \[-1, 1\), got 1"):
        class_activation_map(model, x, 0, 1)
    with pytest.raises(ValueError, match=r"target must be a class index in \[0, 10\), got 10"):
        saliency(model, x, 10)
    with pytest.raises(TypeError, match="target must hold integer class indices"):
        saliency(model, x, torch.zeros(2))
    with pytest.raises(ValueError, match=r"target must have shape \(2,\)"):
        saliency(model, x, torch.zeros(3, dtype=torch.long))
    with pytest.raises(TypeError, match="target must be a class index"):
        saliency(model, x, 1.0)
    with pytest.raises(TypeError, match="model must return its feature maps from model\\(x, need_maps=True\\)"):
        class_activation_map(plain_torch_model(), randn(gen, 2, 2, 8, 8, dtype=torch.float32), 0, 0)
    with pytest.raises(ValueError, match=r"model must return logits \(N=2, classes\)"):
        saliency(nn.Identity(), x, 0)
    with pytest.raises(ValueError, match="x must be 4-D"):
        saliency(model, x[0], 0)
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        saliency(lambda t: t, x, 0)
