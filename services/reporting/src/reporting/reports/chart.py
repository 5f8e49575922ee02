"""The chart of a report: complaints per hour by type (matplotlib, Korean labels).

Drawn with the font shipped with the package, so it looks the same on any machine. PNG at 200 dpi:
WeasyPrint places an image at once, while an SVG with its text as outlines (hundreds of paths)
costs it most of a second.
"""

from __future__ import annotations

import io
import threading
from typing import TYPE_CHECKING

from ..fonts import REGULAR

if TYPE_CHECKING:  # pandas (with numpy, ~60 MiB resident) is imported where a table is made, not at start
    import pandas as pd

PALETTE = ["#2f5597", "#c55a11", "#548235", "#7030a0", "#bf9000", "#2e75b6", "#a5a5a5"]
_lock = threading.Lock()  # matplotlib's rc settings are global: one chart at a time


def hourly_png(table: pd.DataFrame, *, dpi: int = 200) -> bytes:
    """A stacked bar chart of ``table`` (rows: hours, columns: type labels) as a PNG image."""
    import pandas as pd
    from matplotlib import font_manager, rc_context
    from matplotlib.figure import Figure

    with _lock:
        if not any(f.fname == str(REGULAR) for f in font_manager.fontManager.ttflist):
            font_manager.fontManager.addfont(str(REGULAR))
        family = font_manager.FontProperties(fname=str(REGULAR)).get_name()
        rc = {"font.family": [family, "DejaVu Sans"], "axes.spines.top": False, "axes.spines.right": False,
              "font.size": 8}
        with rc_context(rc):
            fig = Figure(figsize=(7.4, 2.9), layout="constrained")
            ax = fig.add_subplot()
            x = range(len(table.index))
            bottom = pd.Series(0, index=table.index, dtype=float)
            for i, col in enumerate(table.columns):
                ax.bar(x, table[col], bottom=bottom, label=str(col), color=PALETTE[i % len(PALETTE)], width=0.8)
                bottom = bottom + table[col]
            step = max(1, len(table.index) // 16)
            ax.set_xticks(list(x)[::step], [str(v) for v in table.index[::step]])
            ax.set_ylabel("접수(건)")
            ax.yaxis.get_major_locator().set_params(integer=True)
            ax.grid(axis="y", color="#dddddd", linewidth=0.6)
            ax.set_axisbelow(True)
            if len(table.columns):
                ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=7)
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()
