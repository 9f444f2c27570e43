"""The display half every widget shares: controls, a one-line read-out and a live figure."""
import io


def live_view(controls, readout, figure, css_class):
    """Show `controls`, an HTML read-out and a matplotlib figure that redraw on every change.

    controls: {name: ipywidgets control with a .value}, passed to the two callbacks by name;
    readout(**values) -> str, printed under the controls in a <pre> with class `css_class`
    (browser tests find it by that class); figure(**values) -> matplotlib Figure.
    Returns the ipywidgets VBox that was displayed.

    The figure is a PNG in an ipywidgets.Image, not a display() inside an ipywidgets.Output: a
    headless executor (nbclient, so nbgrader's validate and autograde) answers an Output widget's
    outputs by sending its state back on the shell socket while it polls that socket for the
    cell's reply, and now and then misses the reply and waits for ever with the kernel idle
    (bench/stress_kernels.py counted it; bench/RESULTS.md).
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt
    from IPython.display import display

    text = widgets.HTML()
    text.add_class(css_class)
    image = widgets.Image(format="png")

    def redraw(_=None):
        values = {name: c.value for name, c in controls.items()}
        text.value = f"<pre>{readout(**values)}</pre>"
        fig = figure(**values)
        png = io.BytesIO()
        fig.savefig(png, format="png", bbox_inches="tight")
        plt.close(fig)
        image.value = png.getvalue()

    for c in controls.values():
        c.observe(redraw, names="value")
    redraw()
    row = widgets.HBox(list(controls.values()), layout=widgets.Layout(flex_flow="row wrap"))
    box = widgets.VBox([row, text, image])
    display(box)
    return box


def symmetric_sliders(values, limit, step=0.1):
    """{name: FloatSlider over [-limit, limit]} starting at values[name]; updates on release."""
    import ipywidgets as widgets

    return {name: widgets.FloatSlider(value=v, min=-limit, max=limit, step=step, description=name,
                                      continuous_update=False)
            for name, v in values.items()}
