"""The certificate's PNG plots: written, readable, of a sensible size, and not blank."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.image as mpimg  # noqa: E402
import pytest  # noqa: E402

from relu_pointwise.proofs.certificate import build  # noqa: E402
from relu_pointwise.proofs.plots import write_plots  # noqa: E402
from relu_pointwise.symbolic.spec import make_spec, make_training  # noqa: E402


def _check_png(path):
    img = mpimg.imread(str(path))
    assert img.ndim == 3 and img.shape[0] >= 300 and img.shape[1] >= 400
    rgb = img[..., :3]
    assert float(rgb.var()) > 1e-3                    # not blank
    assert float((rgb.min(axis=2) < 0.5).mean()) > 0.005   # some dark ink: curves, labels


@pytest.mark.parametrize("text,batch,names", [
    ("interval:-1/2,1/2", "full", ["loss.png", "outputs.png", "T.png"]),
    ("union:-1,-1/2;0,1/3", "sampled:8", ["loss.png", "outputs.png", "T.png"]),
    ("box:-1/2,1/2;-1/4,3/4", "full", ["loss.png", "outputs.png", "T.png", "region_map.png"]),
])
def test_plots_are_written_and_not_blank(tmp_path, text, batch, names):
    b = build(make_spec(text), make_training(batch=batch), grid=5, steps=400)
    files = write_plots(b, tmp_path)
    assert sorted(f.name for f in files) == sorted(names)
    for f in files:
        _check_png(f)


def test_full_batch_loss_plot_shows_the_fitted_slope(tmp_path):
    """The fitted slope on the last decade is close to -1/3 (the legend reports it)."""
    b = build(make_spec(), make_training(), grid=3, steps=20000)
    import matplotlib.pyplot as plt

    from relu_pointwise.proofs import plots

    captured = {}
    orig = plt.Axes.legend

    def spy(self, *a, **k):
        captured["labels"] = [t for t in self.get_legend_handles_labels()[1]]
        return orig(self, *a, **k)

    plt.Axes.legend = spy
    try:
        plots.loss_plot(b, tmp_path / "loss.png")
    finally:
        plt.Axes.legend = orig
    slope = [l for l in captured["labels"] if "slope" in l][0]
    value = float(slope.rsplit(" ", 1)[1])
    assert abs(value + 1 / 3) < 0.01
    _check_png(tmp_path / "loss.png")
