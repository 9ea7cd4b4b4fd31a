"""What an estimate shows: step names whole in both tables, an SVG legend that fits."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

from rich.console import Console

from advisor.estimate_view import show_estimate
from runtime.estimate import Estimate, estimate_settings, render_text
from runtime.estimate.chart import Series, svg_chart
from runtime.plan import Node
from runtime.settings import Settings

LONG = "draft_the_customer_reply_with_tone_and_policy_checks"
# Sans-serif at 12px: no common glyph is wider than 7px on average over a label.
PX_PER_CHAR = 7.0


def _estimate() -> Estimate:
    plan = Node(
        pattern="prompt-chaining",
        name="chain",
        children=[Node(pattern="single-call", name=n, steps=[n]) for n in (LONG, "polish")],
    )
    settings = Settings(name="p", pattern="prompt-chaining", plan=plan)
    return estimate_settings(settings, {})


def test_the_text_table_keeps_long_step_names_whole() -> None:
    text = render_text(_estimate())
    assert any(line.startswith(LONG + " ") for line in text.splitlines()), text


def test_the_rich_table_folds_long_step_names_instead_of_cutting_them() -> None:
    buf = io.StringIO()
    show_estimate(_estimate(), console=Console(file=buf, width=80))
    out = buf.getvalue()
    table = out[out.index("where the money goes") :]
    table = table[: table.index("at ")]
    assert "…" not in table
    cells = "".join(row.split("│")[1].strip() for row in table.splitlines() if "│" in row)
    assert LONG in cells


def test_the_svg_legend_fits_and_names_the_volume_marker() -> None:
    series = [
        Series("orchestrator-workers (this)", 0.0123),
        Series("evaluator-optimizer wrapping a very long pipeline", 0.02),
        Series("single-call", 0.001),
    ]
    svg = ET.fromstring(svg_chart(series, 2500))
    ns = "{http://www.w3.org/2000/svg}"
    width = float(svg.attrib["width"])
    assert svg.attrib["viewBox"].split()[2] == svg.attrib["width"]
    texts = list(svg.iter(f"{ns}text"))
    for t in texts:
        if t.attrib.get("text-anchor", "start") == "start":  # grows rightwards from x
            right = float(t.attrib["x"]) + PX_PER_CHAR * len(t.text or "")
            assert right <= width, (t.text, right, width)
    legend = [t.text or "" for t in texts]
    assert any("2,500 requests/day" in t for t in legend), legend  # the dashed marker, named
    dashed = [line for line in svg.iter(f"{ns}line") if line.attrib.get("stroke-dasharray")]
    assert len(dashed) == 2  # the marker on the plot and its sample in the legend
