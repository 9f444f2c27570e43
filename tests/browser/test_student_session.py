"""A student's session in a real JupyterLab in headless Chromium.

- every chapter runs with Run All (once: its widget tests use the same page): errors only in
  graded test cells, every widget renders;
- each widget's controls move (mouse drags, a dropdown), and its plot and printed values follow
  compute(): the neuron (chapter 01), the computational graph and the gradient flow (chapter 02),
  the optimizer trajectories (chapter 03), the learning curves (chapter 04), the attention maps
  of the pre-trained TinyGPT as a student types a text (chapter 05), the feature maps, saliency
  and Grad-CAM of the CNN trained in chapter 06 as a student picks a layer and an image, the
  translator's alignment and beam candidates trained in chapter 07 as a student picks a number;
- an exercise is typed in and tested: a wrong answer gets an expected-vs-got message,
  a right one passes;
- nbgrader's extension is there: its assignment list shows the chapters released to the
  exchange, and Validate reports success on a solved notebook and failure on an unsolved one.
"""
import math
import re
from dataclasses import dataclass

import pytest
import torch

from grading import repo
from lib import data, pretrained
from lib.data.numbers import chinese
from lib.widgets import (AttentionWidget, GradientFlowWidget, GraphWidget, LearningCurveWidget, NeuronWidget,
                         OptimizerWidget, optimizers)
from tests.browser import jlab


@dataclass
class RanChapter:
    """A chapter opened in its own page and run with Run All; never_ran: the cells Run All did not reach."""
    page: object
    rel: str
    never_ran: list

    def finished(self):
        """The page, once Run All is known to have reached the end."""
        assert not self.never_ran, f"Run All did not reach the end of {self.rel}: cells {self.never_ran} never ran"
        return self.page


@pytest.fixture(scope="module")
def ran(request, browser, lab):
    """Chapter `request.param` opened and run with Run All once, in a page that its Run All test
    and its widget tests share (tests parametrize it indirectly by chapter name). pytest runs a
    chapter's tests together and closes its page before the next chapter's opens."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    rel = f"{request.param}/{request.param}.ipynb"
    jlab.open_notebook(page, lab, rel)
    yield RanChapter(page, rel, jlab.run_all(page))
    jlab.close_kernel(page)
    context.close()


def chapter(name):
    """Mark a test as using chapter `name`'s Run All page (the `ran` fixture)."""
    return pytest.mark.parametrize("ran", [name], indirect=True)


@pytest.mark.parametrize("ran", repo.chapter_names(), indirect=True)
def test_run_all_fails_only_in_graded_tests_and_widgets_render(ran, screenshot):
    page, rel = ran.page, ran.rel
    cells = jlab.cells(page)
    stray = {}
    for i, c in enumerate(cells):
        meta = c.get("metadata", {}).get("nbgrader", {})
        is_test = meta.get("grade") and not meta.get("solution")
        errors = [o for o in c.get("outputs", []) if o["output_type"] == "error"]
        if errors and not is_test:
            stray[i] = f"{errors[0]['ename']}: {errors[0]['evalue']}"
    assert not stray, f"{rel}: cells outside graded tests raised: {stray}"
    assert not ran.never_ran, f"{rel}: Run All stopped before cells {ran.never_ran}"

    widget_cells = [i for i, c in enumerate(cells) for o in c.get("outputs", [])
                    if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert widget_cells, f"{rel}: no widget was displayed"
    for i in widget_cells:
        out = jlab.cell(page, i).locator(".jp-Cell-outputArea")
        out.scroll_into_view_if_needed()
        assert out.locator(".jupyter-widgets").count() > 0, f"{rel} cell {i}: widget did not render"
        text = out.inner_text()
        assert "Error displaying widget" not in text and "VBox(" not in text, f"{rel} cell {i}: {text[:300]}"
        if out.locator(".widget-slider, .widget-dropdown, .widget-toggle-buttons").count() == 0:
            # the one control-less widget allowed: the tqdm.auto progress bar of lib.train.fit
            assert out.locator(".widget-hprogress").count() == 1, f"{rel} cell {i}: the widget has no controls"
            assert re.search(r"\d+/\d+", text), f"{rel} cell {i}: progress bar without an epoch count: {text[:200]}"
    screenshot(page, f"{rel.split('/')[0]}_run_all")


def readout_numbers(text):
    """{name: number} from a widget's read-out line: `name = value` parts three spaces apart."""
    numbers = {}
    for part in re.split(r"\s{3,}", text.strip()):
        name, _, value = part.partition(" = ")
        try:
            numbers[name] = float(value)
        except ValueError:
            continue
    return numbers


def slider(page, name):
    return page.locator(".widget-slider").filter(has=page.locator(".widget-label", has_text=re.compile(f"^{name}$")))


def slider_value(page, name):
    return float(slider(page, name).locator(".widget-readout").inner_text().replace("−", "-"))


def drag_slider(page, name, dx):
    """Drag slider `name`'s handle dx pixels with the mouse, as a student would."""
    handle = slider(page, name).locator(".noUi-handle")
    handle.scroll_into_view_if_needed()
    box = handle.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + dx, box["y"] + box["height"] / 2, steps=8)
    page.mouse.up()


def widget_state(page, readout_class):
    """(read-out text, plot image src) of the widget whose read-out has class `readout_class`."""
    readout = page.locator(f".{readout_class}")
    readout.scroll_into_view_if_needed()
    return readout.inner_text(), page.locator(f".{readout_class} ~ img.widget-image").first.get_attribute("src")


def wait_for_redraw(page, readout_class, before):
    """Wait until both the read-out and the plot differ from `before` (a widget_state)."""
    text, img = before
    page.wait_for_function("([c, t]) => document.querySelector('.' + c).innerText !== t", arg=[readout_class, text])
    page.wait_for_function("([c, s]) => { const i = document.querySelector('.' + c + ' ~ img.widget-image');"
                           " return i && i.getAttribute('src') !== s; }", arg=[readout_class, img])


@chapter("01_neurons")
def test_moving_a_neuron_slider_updates_plot_and_values(ran, screenshot):
    page = ran.finished()
    widget = NeuronWidget(*data.two_blobs(50, seed=0))
    before = widget_state(page, "neuron-readout")
    assert readout_numbers(before[0]) == pytest.approx(readout_numbers(widget.readout(1.0, -1.0, 0.0)), abs=1e-4)

    drag_slider(page, "w2", 45)
    wait_for_redraw(page, "neuron-readout", before)
    values = {n: slider_value(page, n) for n in ("w1", "w2", "b")}
    assert values["w1"] == 1.0 and values["b"] == 0.0 and values["w2"] > -1.0, values
    got = readout_numbers(widget_state(page, "neuron-readout")[0])
    expected = readout_numbers(widget.readout(**values))
    assert got.keys() == expected.keys() and got == pytest.approx(expected, abs=1e-4)
    screenshot(page, "01_neurons_slider_moved")


@chapter("02_backprop")
def test_moving_a_graph_slider_updates_every_gradient(ran, screenshot):
    page = ran.finished()
    widget = GraphWidget(x1=2.0, x2=-1.0, y=0.5)
    before = widget_state(page, "graph-readout")
    assert readout_numbers(before[0]) == pytest.approx(readout_numbers(widget.readout(0.5, -1.0, 0.2)), abs=1e-4)

    drag_slider(page, "b", -60)
    wait_for_redraw(page, "graph-readout", before)
    values = {n: slider_value(page, n) for n in ("w1", "w2", "b")}
    assert values["w1"] == 0.5 and values["w2"] == -1.0 and values["b"] < 0.2, values
    got = readout_numbers(widget_state(page, "graph-readout")[0])
    expected = readout_numbers(widget.readout(**values))
    assert set(got) == {"L", "o", "dL/dw1", "dL/dw2", "dL/db"} and got == pytest.approx(expected, abs=1e-4)
    screenshot(page, "02_backprop_graph_slider_moved")


@chapter("02_backprop")
def test_gradient_flow_follows_depth_and_activation(ran, screenshot):
    page = ran.finished()
    widget = GradientFlowWidget(width=32, n=64, classes=4, seed=0)
    before = widget_state(page, "flow-readout")
    assert readout_numbers(before[0]) == pytest.approx(readout_numbers(widget.readout(10, "sigmoid", 1.0)), rel=1e-3)

    drag_slider(page, "depth", 80)
    wait_for_redraw(page, "flow-readout", before)
    depth = int(slider_value(page, "depth"))
    assert depth > 10
    got = readout_numbers(widget_state(page, "flow-readout")[0])
    assert got == pytest.approx(readout_numbers(widget.readout(depth, "sigmoid", 1.0)), rel=1e-3)
    assert got["first/last"] < 1e-6, "deeper sigmoid networks should lose more gradient"

    before = widget_state(page, "flow-readout")
    page.locator(".widget-dropdown select").select_option("relu")
    wait_for_redraw(page, "flow-readout", before)
    got = readout_numbers(widget_state(page, "flow-readout")[0])
    assert got == pytest.approx(readout_numbers(widget.readout(depth, "relu", 1.0)), rel=1e-3)
    screenshot(page, "02_backprop_gradient_flow_changed")


@chapter("03_optimizers")
def test_optimizer_widget_follows_steps_rates_and_surface(ran, screenshot):
    page = ran.finished()
    widget = OptimizerWidget()
    tuned = optimizers.TUNED["ill-conditioned quadratic"]
    settings = dict(surface="ill-conditioned quadratic", **{f"lr_{k.lower()}": v for k, v in tuned.items()},
                    momentum=0.9, beta1=0.9, beta2=0.999, steps=100)
    before = widget_state(page, "optim-readout")
    assert readout_numbers(before[0]) == pytest.approx(readout_numbers(widget.readout(**settings)), rel=1e-3)

    drag_slider(page, "steps", -40)
    wait_for_redraw(page, "optim-readout", before)
    settings["steps"] = int(slider_value(page, "steps"))
    assert settings["steps"] < 100
    got = readout_numbers(widget_state(page, "optim-readout")[0])
    assert got == pytest.approx(readout_numbers(widget.readout(**settings)), rel=1e-3)

    # Adam's own rate: a notch of its slider is a quarter decade (the tuning grid), and only Adam's loss moves
    before = widget_state(page, "optim-readout")
    drag_slider(page, "lr Adam", -40)
    wait_for_redraw(page, "optim-readout", before)
    settings["lr_adam"] = 10 ** (round(4 * math.log10(slider_value(page, "lr Adam"))) / 4)
    assert settings["lr_adam"] < tuned["Adam"]
    got = readout_numbers(widget_state(page, "optim-readout")[0])
    assert got == pytest.approx(readout_numbers(widget.readout(**settings)), rel=1e-3)
    old = readout_numbers(before[0])
    assert [k for k in got if got[k] != old[k]] == ["Adam loss"]

    before = widget_state(page, "optim-readout")
    page.locator(".widget-dropdown select").select_option("Rosenbrock")
    wait_for_redraw(page, "optim-readout", before)
    settings["surface"] = "Rosenbrock"
    got = readout_numbers(widget_state(page, "optim-readout")[0])
    assert set(got) == {"SGD loss", "momentum loss", "RMSprop loss", "Adam loss"}
    assert got == pytest.approx(readout_numbers(widget.readout(**settings)), rel=1e-3)
    screenshot(page, "03_optimizers_widget_changed")


@chapter("04_training")
def test_learning_curves_follow_l2_and_dropout(ran, screenshot):
    page = ran.finished()
    widget = LearningCurveWidget()

    def expected(numbers):
        l2 = min((10 ** (m / 2) for m in range(-10, 1)), key=lambda v: abs(math.log10(v / numbers["l2"])))
        return readout_numbers(widget.readout(l2, int(numbers["width"]), numbers["dropout"]))

    before = widget_state(page, "curves-readout")
    first = readout_numbers(before[0])
    assert first == pytest.approx(expected(first), rel=1e-3) and first["width"] == 64

    drag_slider(page, "l2", 120)
    wait_for_redraw(page, "curves-readout", before)
    got = readout_numbers(widget_state(page, "curves-readout")[0])
    assert got["l2"] > first["l2"] and got == pytest.approx(expected(got), rel=1e-3)

    before = widget_state(page, "curves-readout")
    drag_slider(page, "dropout", 80)
    wait_for_redraw(page, "curves-readout", before)
    got = readout_numbers(widget_state(page, "curves-readout")[0])
    assert got["dropout"] > 0 and got == pytest.approx(expected(got), rel=1e-3)
    screenshot(page, "04_training_widget_changed")


@chapter("05_attention")
def test_attention_widget_follows_text_layer_head_and_position(ran, screenshot):
    page = ran.finished()
    model, tokenizer, _ = pretrained.tinygpt()
    widget = AttentionWidget(model, tokenizer)
    text = "The interpreter reads the source file."
    before = widget_state(page, "attention-readout")
    assert readout_numbers(before[0]) == pytest.approx(readout_numbers(widget.readout(text, 0, 0, 20)), abs=1e-3)

    drag_slider(page, "position", -70)
    wait_for_redraw(page, "attention-readout", before)
    drag_slider(page, "head", 60)
    page.wait_for_function("() => !document.querySelector('.attention-readout').innerText.includes('head = 0 ')")
    values = {n: int(slider_value(page, n)) for n in ("layer", "head", "position")}
    assert values["layer"] == 0 and values["head"] > 0 and values["position"] < 20, values
    got = widget_state(page, "attention-readout")
    assert readout_numbers(got[0]) == pytest.approx(readout_numbers(widget.readout(text, **values)), abs=1e-3)

    typed = "def f(x): return x + 1"
    field = page.locator(".widget-text input")
    field.fill(typed)
    field.press("Enter")
    wait_for_redraw(page, "attention-readout", got)
    line = widget_state(page, "attention-readout")[0]
    assert readout_numbers(line) == pytest.approx(readout_numbers(widget.readout(typed, **values)), abs=1e-3)
    screenshot(page, "05_attention_widget_changed")


WRONG_SIGMOID = "def sigmoid(x): return 1 / (1 + torch.exp(x))"
RIGHT_SIGMOID = "def sigmoid(x): return torch.exp(torch.minimum(x, torch.zeros_like(x))) / (1 + torch.exp(-x.abs()))"


@chapter("01_neurons")
def test_student_types_an_answer_and_runs_the_test(ran, screenshot):
    page = ran.finished()
    cells = jlab.cells(page)
    answer, test = jlab.index_of(cells, "ch01_sigmoid"), jlab.index_of(cells, "ch01_sigmoid_test")

    jlab.type_into_cell(page, answer, WRONG_SIGMOID)
    jlab.run_cell(page, answer)
    jlab.run_cell(page, test)
    out = jlab.cell(page, test).locator(".jp-Cell-outputArea")
    message = out.inner_text()
    assert "AssertionError" in message
    assert re.search(r"wrong values in \d+ of \d+ entries.*expected [-\d.e]+, got [-\d.e]+", message), message
    screenshot(page, "01_neurons_wrong_answer")

    jlab.type_into_cell(page, answer, RIGHT_SIGMOID)
    jlab.run_cell(page, answer)
    jlab.run_cell(page, test)
    outputs = jlab.cells(page)[test]["outputs"]
    assert not [o for o in outputs if o["output_type"] == "error"], outputs
    assert jlab.cells(page)[answer]["source"] == RIGHT_SIGMOID
    screenshot(page, "01_neurons_right_answer")


def test_nbgrader_assignment_list_opens(page, lab, screenshot):
    jlab.open_notebook(page, lab, "01_neurons/01_neurons.ipynb")
    page.get_by_role("menuitem", name="Nbgrader").click()
    page.get_by_role("menuitem", name="Assignment List").click()
    for heading in ("Released assignments", "Downloaded assignments", "Submitted assignments"):
        page.get_by_text(heading).first.wait_for()
    released = page.locator("#released_assignments_list")
    for name in repo.chapter_names():
        released.get_by_text(name).first.wait_for()
    assert page.locator("#course_list_default").inner_text() == "neurons-to-transformers"
    assert "does not exist" not in page.locator("#assignments").inner_text()
    screenshot(page, "nbgrader_assignment_list")


@pytest.mark.parametrize("notebook, verdict", [("01_neurons_solved.ipynb", "Success"),
                                               ("01_neurons.ipynb", "failed")])
def test_nbgrader_validate_button(notebook, verdict, page, lab, screenshot):
    jlab.open_notebook(page, lab, f"01_neurons/{notebook}")
    page.locator(".jp-NotebookPanel:visible .validate-button").click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for(timeout=180_000)
    page.wait_for_function("() => !document.querySelector('.jp-Dialog').innerText.includes('Validating')",
                           timeout=180_000)
    text = dialog.inner_text()
    screenshot(page, f"nbgrader_validate_{notebook.removesuffix('.ipynb')}")
    assert verdict.lower() in text.lower(), text[:1000]


def printed_by_readout_cell(page, widget, arguments):
    """Retype the notebook's `print(<widget>.readout(...))` cell with `arguments`, run it in the
    page's kernel and return what it printed."""
    i = next(k for k, c in enumerate(jlab.cells(page)) if f"print({widget}.readout(" in c["source"])
    jlab.type_into_cell(page, i, f"print({widget}.readout({arguments}))")
    jlab.run_cell(page, i)
    return "".join(o.get("text", "") for o in jlab.cells(page)[i]["outputs"] if o["output_type"] == "stream")


@chapter("06_vision")
def test_vision_widget_follows_layer_and_image(ran, screenshot):
    """The CNN is trained in the notebook, so the test checks the live read-out against the data (the
    chosen image and its true label), against itself (a new layer leaves the image's own numbers
    alone) and against the widget's compute() run in the page's kernel for the slider values."""
    page = ran.finished()
    digits = data.load("digits")
    test_rows = data.stratified_split(digits.y, (0.6, 0.2, 0.2), torch.Generator().manual_seed(0))[2]
    before = widget_state(page, "vision-readout")
    first = readout_numbers(before[0])
    assert (first["image"], first["layer"], first["label"]) == (0, 2, int(digits.y[test_rows[0]])), first
    assert 0 < first["probability"] <= 1 and first["saliency max"] > 0

    drag_slider(page, "layer", -80)
    wait_for_redraw(page, "vision-readout", before)
    moved = widget_state(page, "vision-readout")
    got = readout_numbers(moved[0])
    layer = int(slider_value(page, "layer"))
    assert layer < 2 and got["layer"] == layer, (layer, got)
    image_numbers = ("image", "label", "predicted", "probability", "saliency max")
    assert {k: got[k] for k in image_numbers} == {k: first[k] for k in image_numbers}

    drag_slider(page, "image", 60)
    wait_for_redraw(page, "vision-readout", moved)
    image = int(slider_value(page, "image"))
    got = readout_numbers(widget_state(page, "vision-readout")[0])
    assert image > 0 and got["image"] == image and got["label"] == int(digits.y[test_rows[image]]), (image, got)
    screenshot(page, "06_vision_widget_changed")

    printed = printed_by_readout_cell(page, "vision_widget", f"{image}, {layer}")
    assert readout_numbers(printed) == pytest.approx(got, abs=1e-4), printed


@chapter("07_language")
def test_translation_widget_follows_the_number(ran, screenshot):
    """The translator is trained in the notebook, so the test checks the live read-out against the
    data (the reference numeral of the number shown, from lib.data.numbers) and against the
    widget's readout() run in the page's kernel for the slider's new value."""
    page = ran.finished()
    before = widget_state(page, "translation-readout")
    first = readout_numbers(before[0])
    assert first["number"] == 305 and "reference = 三百零五" in before[0], before[0]
    assert first["candidates"] >= 1 and first["score"] <= 0, first

    drag_slider(page, "number", 60)
    wait_for_redraw(page, "translation-readout", before)
    number = int(slider_value(page, "number"))
    line = widget_state(page, "translation-readout")[0]
    assert number != 305 and readout_numbers(line)["number"] == number, (number, line)
    assert f"reference = {chinese(number)}" in line, line
    screenshot(page, "07_language_widget_changed")

    printed = printed_by_readout_cell(page, "translation_widget", f"{number}")
    assert printed.strip() == line.strip(), (printed, line)
