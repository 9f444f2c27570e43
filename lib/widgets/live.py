"""The display half every widget shares: controls, a one-line read-out and a live figure."""


def live_view(controls, readout, figure, css_class):
    """Show `controls`, an HTML read-out and a matplotlib figure that redraw on every change.

    controls: {name: ipywidgets control with a .value}, passed to the two callbacks by name;
    readout(**values) -> str, printed under the controls in a <pre> with class `css_class`
    (browser tests find it by that class); figure(**values) -> matplotlib Figure.
    Returns the ipywidgets VBox that was displayed.
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt
    from IPython.display import display

    text = widgets.HTML()
    text.add_class(css_class)
    out = widgets.Output()

    def redraw(_=None):
        values = {name: c.value for name, c in controls.items()}
        text.value = f"<pre>{readout(**values)}</pre>"
        with out:
            out.clear_output(wait=True)
            fig = figure(**values)
            display(fig)
            plt.close(fig)

    for c in controls.values():
        c.observe(redraw, names="value")
    redraw()
    row = widgets.HBox(list(controls.values()), layout=widgets.Layout(flex_flow="row wrap"))
    box = widgets.VBox([row, text, out])
    display(box)
    return box


def symmetric_sliders(values, limit, step=0.1):
    """{name: FloatSlider over [-limit, limit]} starting at values[name]; updates on release."""
    import ipywidgets as widgets

    return {name: widgets.FloatSlider(value=v, min=-limit, max=limit, step=step, description=name,
                                      continuous_update=False)
            for name, v in values.items()}
