"""lib.pictures: one figure drawn wide and narrow becomes one <picture> that picks by window
width, carries its text alternative, and closes its figures."""

import base64
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from lib.pictures import NARROW_BELOW_PX, ResponsiveFigure  # noqa: E402


def _figure(width: float) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(width, 2), dpi=100)
    ax.plot([0, 1], [0, 1])
    return fig


def test_picture_picks_the_narrow_drawing_below_the_breakpoint():
    picture = ResponsiveFigure(_figure(7), _figure(3.5), 'a line from "0" to 1')
    page = picture._repr_html_()
    source = re.search(r'<source media="\(max-width: (\d+)px\)" srcset="data:image/png;base64,([^"]+)">', page)
    image = re.search(r'<img src="data:image/png;base64,([^"]+)" alt="([^"]+)"', page)
    assert source and image and int(source.group(1)) == NARROW_BELOW_PX - 1
    assert base64.b64decode(source.group(2)) == picture.narrow_png
    assert base64.b64decode(image.group(1)) == picture.wide_png == picture._repr_png_()
    assert image.group(2) == "a line from &quot;0&quot; to 1"  # escaped inside the attribute
    assert len(picture.narrow_png) < len(picture.wide_png)
    assert not plt.get_fignums()  # closed: Jupyter shows the picture, not two more plots


def test_picture_needs_words():
    with pytest.raises(ValueError, match="alt must describe the figure"):
        ResponsiveFigure(_figure(7), _figure(3.5), "  ")
