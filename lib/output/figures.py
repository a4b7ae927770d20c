"""Pictures people look at: plots drawn off-screen (no display needed) and written atomically."""
from lib.output.atomic import atomic_write


def new_figure(rows=1, cols=1, **kwargs):
    """(figure, axes) from matplotlib's Agg backend; kwargs go to plt.subplots."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    return plt.subplots(rows, cols, **kwargs)


def save_figure(fig, path):
    """Lay out, write as PNG (a temporary file renamed into place) and free the figure."""
    import matplotlib.pyplot as plt
    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, format='png'))
    plt.close(fig)
    return path
