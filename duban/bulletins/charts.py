"""The charts of a bulletin, drawn with matplotlib as PNG pictures for the .docx.

Official documents are mostly printed in black and white, so series are told apart by grey level and hatch
pattern, never by colour alone, and every bar carries its number. Labels are Chinese: a CJK face installed on
the server (scripts/docs-tools.sh installs Noto CJK) is looked up once; without one no chart is drawn and the
tables of the document stand alone, since a chart of empty boxes would mislead.

Drawn with matplotlib's object API (Figure and the Agg canvas), never pyplot, so requests on several threads
never share a figure.
"""

import functools
import io
import logging

log = logging.getLogger("duban.bulletins")

CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Serif CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "SimHei",
                "Microsoft YaHei", "AR PL UMing CN", "SimSun")
WIDTH_IN = 6.1  # the 156 mm text block
DPI = 200
MAX_UNITS = 12
MAX_TARGETS = 15
SERIES = (  # (key, label, grey, hatch)
    ("held", "承办事项", "#d9d9d9", ""),
    ("done", "本期办结", "#8c8c8c", ""),
    ("overdue", "逾期", "#ffffff", "///"),
    ("red", "红灯", "#262626", ""),
)


@functools.cache
def cjk_font() -> str | None:
    """The path of an installed CJK face, or None."""
    from matplotlib import font_manager

    installed: dict[str, str] = {}
    for entry in sorted(font_manager.fontManager.ttflist, key=lambda e: abs(_weight(e.weight) - 400)):
        installed.setdefault(entry.name, entry.fname)  # the regular weight of each family first
    for family in CJK_FAMILIES:
        if family in installed:
            return installed[family]
    log.warning("no CJK font found for bulletin charts (looked for %s); charts are left out", ", ".join(CJK_FAMILIES))
    return None


def _weight(weight) -> int:
    from matplotlib.font_manager import weight_dict

    return weight if isinstance(weight, int) else weight_dict.get(weight, 400)


def _figure(height_in: float):
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH_IN, height_in), dpi=DPI)
    return figure, figure.add_subplot()


def _png(figure) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", pad_inches=0.05,
                   metadata={"Software": None})
    return buffer.getvalue()


def _style(axes, font) -> None:
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    for label in axes.get_xticklabels() + axes.get_yticklabels():
        label.set_fontproperties(font)


def units_chart(rows: list[dict]) -> bytes | None:
    """Grouped horizontal bars per unit: held, done in the period, overdue, red (the bulletin's unit table,
    the first `MAX_UNITS` units in its order)."""
    path = cjk_font()
    rows = [r for r in rows if r.get("held")][:MAX_UNITS]
    if path is None or not rows:
        return None
    from matplotlib.font_manager import FontProperties

    font = FontProperties(fname=path, size=9)
    figure, axes = _figure(0.45 * len(rows) + 0.9)
    band = 0.8 / len(SERIES)
    for index, (key, label, grey, hatch) in enumerate(SERIES):
        positions = [i + (index - (len(SERIES) - 1) / 2) * band for i in range(len(rows))]
        bars = axes.barh(positions, [r[key] for r in rows], height=band, color=grey, hatch=hatch,
                         edgecolor="#000000", linewidth=0.5, label=label)
        axes.bar_label(bars, labels=[str(r[key]) if r[key] else "" for r in rows], padding=2, fontsize=7)
    axes.set_yticks(range(len(rows)), [r["unit"] for r in rows])
    axes.invert_yaxis()
    axes.set_xlabel("项", fontproperties=font)
    axes.margins(x=0.12)
    axes.legend(prop=font, ncols=len(SERIES), loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    _style(axes, font)
    return _png(figure)


def targets_chart(rows: list[dict]) -> bytes | None:
    """Horizontal bars of each quantitative target's completion, with the 100% line (targets not yet reported
    are shown as 未报送 with no bar)."""
    path = cjk_font()
    rows = rows[:MAX_TARGETS]
    if path is None or not rows:
        return None
    from matplotlib.font_manager import FontProperties

    font = FontProperties(fname=path, size=9)
    figure, axes = _figure(0.32 * len(rows) + 0.8)
    values = [r["percent"] or 0 for r in rows]
    bars = axes.barh(range(len(rows)), values, height=0.6, color="#8c8c8c", edgecolor="#000000", linewidth=0.5)
    axes.bar_label(bars, labels=["未报送" if r["percent"] is None else f"{r['percent']}%" for r in rows],
                   padding=2, fontsize=7, fontproperties=FontProperties(fname=path, size=7))
    axes.axvline(100, color="#000000", linewidth=0.8, linestyle="--")
    names = [f"{r['name']}（{r['code']}）" for r in rows]
    axes.set_yticks(range(len(rows)), [n if len(n) <= 18 else n[:17] + "…" for n in names])
    axes.invert_yaxis()
    axes.set_xlim(0, max(110, max(values) * 1.15))
    axes.set_xlabel("完成进度（%），虚线为目标值", fontproperties=font)
    _style(axes, font)
    return _png(figure)
