"""Render the eval set as offices print it: a spreadsheet printed by office software, then scanned.

Each document's gold forms are laid out in a workbook the way the templates are filled in a
spreadsheet (openpyxl): level labels merged down their rows and printed vertically centred,
wrapped text in merged cells (``项目资金`` / ``（万元）``, long goals), 执行率 as a percentage
cell (``95.53%``), a page header repeated on every page and a footer ``第1页,共3页``. LibreOffice
(``soffice --headless --convert-to pdf``) prints it to a text-layer PDF, paginating where it
likes (forms run across pages). From that PDF:

- ``office-pdf``: the text-layer PDF as printed;
- ``office-partial``: the same workbook with no inner vertical rules in the indicator block;
- ``office-scan``: rasterised in colour, a red seal stamped over a name and a total, slightly
  rotated, noised, JPEG, wrapped in an image-only PDF;
- ``office-pages``: the scan's pages as separate JPEG files (``p01.jpg``, ``p02.jpg``...).

The gold numbers are printed with the cell formats offices use (``#,##0.00``, ``0.00%``), so
what is printed is what the gold says. Nothing binary is committed; soffice missing → a skip::

    python -m eval.office OUTDIR            # every document in every variant → OUTDIR
"""

from __future__ import annotations

import argparse
import io
import math
import random
import shutil
import subprocess
import tempfile
import zlib
from pathlib import Path
from typing import Any

from extractor.ingest.pdf import images_to_pdf

VARIANTS = ("office-pdf", "office-partial", "office-scan", "office-pages")
SCAN_DPI = 200
SEAL_RED = (0.85, 0.1, 0.1)


def soffice() -> str | None:
    """The LibreOffice binary, or None where it is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


# ---------------------------------------------------------------- the workbook


class _Sheet:
    """A worksheet filled row by row, with merged cells, borders and wrapped text."""

    def __init__(self, ws: Any, columns: int, partial: bool) -> None:
        self.ws, self.columns, self.partial, self.row = ws, columns, partial, 1
        self.unruled: set[int] = set()     # rows drawn without inner vertical rules

    def put(self, col: int, value: Any, *, span: int = 1, down: int = 1, fmt: str | None = None,
            bold: bool = False, center: bool = False) -> None:
        from openpyxl.styles import Alignment, Font

        cell = self.ws.cell(row=self.row, column=col, value=value)
        if isinstance(value, str) and value.startswith("="):
            cell.data_type = "s"          # a printed ``=97.00(人)`` is text, not a formula
        cell.alignment = Alignment(wrap_text=True, vertical="center",
                                   horizontal="center" if center else "left")
        cell.font = Font(name="Noto Sans CJK SC", size=9, bold=bold)
        if fmt:
            cell.number_format = fmt
        if span > 1 or down > 1:
            self.ws.merge_cells(start_row=self.row, start_column=col,
                                end_row=self.row + down - 1, end_column=col + span - 1)

    def num(self, col: int, value: Any, *, span: int = 1) -> None:
        """A number in the cell format offices use (``#,##0.00``; integers as printed)."""
        if value is None:
            self.put(col, None, span=span)
        else:
            self.put(col, value, span=span, fmt="0" if isinstance(value, int) else "#,##0.00")

    def end_row(self, height: float = 18.0, *, unruled: bool = False) -> None:
        self.ws.row_dimensions[self.row].height = height
        if unruled and self.partial:
            self.unruled.add(self.row)
        self.row += 1

    def rule(self, first: int, last: int) -> None:
        """Borders for rows first..last: every cell boxed, or (partial) only the outer box and
        the horizontal rules in the rows marked unruled."""
        from openpyxl.styles import Border, Side

        thin, none = Side(style="thin"), Side(style=None)
        for r in range(first, last + 1):
            for c in range(1, self.columns + 1):
                inner = r in self.unruled
                left = thin if not inner or c == 1 else none
                right = thin if not inner or c == self.columns else none
                self.ws.cell(row=r, column=c).border = Border(left=left, right=right, top=thin, bottom=thin)


def _lines(text: str, width_chars: float) -> int:
    return max(1, math.ceil(sum(2 if ord(ch) > 0x2E80 else 1 for ch in text) / max(width_chars * 0.95, 1)))


def _height(texts_widths: list[tuple[str, float]]) -> float:
    return max(18.0, max(_lines(t, w) for t, w in texts_widths) * 13.0 + 5)


def _goal_block(sheet, widths: list[float], label: str, *heads: tuple[int, int, str, str | None]) -> None:
    """A goals block as offices print it: its label merged down two rows, each head (column, span,
    head, text) over its text; the text row as tall as its longest wrapped text."""
    sheet.put(1, label, down=2, center=True)
    for col, span, head, _ in heads:
        sheet.put(col, head, span=span, center=True)
    sheet.end_row()
    for col, span, _, text in heads:
        sheet.put(col, text or "", span=span)
    sheet.end_row(_height([(text or "", sum(widths[col - 1:col - 1 + span])) for col, span, _, text in heads]))


WIDTHS_SELF = [11, 13, 20, 13, 13, 11, 11, 11, 16]          # columns A..I, in characters
WIDTHS_DECL = [9, 15, 18, 24, 16, 16]


def _self_evaluation(sheet: _Sheet, form: dict[str, Any]) -> None:
    w = WIDTHS_SELF
    unit = form.get("funds_unit") or "万元"
    first = sheet.row
    sheet.put(1, "财政项目支出绩效自评表", span=9, bold=True, center=True)
    sheet.end_row(24)
    sheet.put(1, f"（{form['year']}年度）" if form.get("year") else "", span=9, center=True)
    sheet.end_row(18)
    table = sheet.row
    sheet.put(1, "项目名称", span=2, center=True)
    sheet.put(3, form.get("project_name"), span=7)
    sheet.end_row(_height([(form.get("project_name") or "", sum(w[2:]))]))
    sheet.put(1, "主管部门", span=2, center=True)
    sheet.put(3, form.get("competent_department"), span=3)
    sheet.put(6, "实施单位", center=True)
    sheet.put(7, form.get("implementing_unit"), span=3)
    sheet.end_row(_height([(form.get("competent_department") or "", sum(w[2:5])),
                           (form.get("implementing_unit") or "", sum(w[6:]))]))
    sheet.put(1, f"项目资金\n（{unit}）", span=2, down=5, center=True)
    for col, label in enumerate(("年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"), start=4):
        sheet.put(col, label, center=True)
    sheet.end_row()
    funds = form.get("funds") or {}
    for key, label in (("total", "年度资金总额"), ("current_year_appropriation", "其中：当年财政拨款"),
                       ("prior_year_carryover", "上年结转资金"), ("other", "其他资金")):
        row = funds.get(key) or {}
        sheet.put(3, label)
        for col, field in enumerate(("initial_budget", "annual_budget", "executed"), start=4):
            sheet.num(col, row.get(field))
        weight, score, rate = row.get("weight"), row.get("score"), row.get("execution_rate")
        if weight is None:
            sheet.put(7, "—", center=True)
        else:
            sheet.num(7, weight)
        sheet.put(8, None if rate is None else round(rate / 100, 6), fmt="0.00%")
        if score is None:
            sheet.put(9, "—", center=True)
        else:
            sheet.num(9, score)
        sheet.end_row()
    _goal_block(sheet, w, "年度总体目标", (2, 4, "预期目标", form.get("goal_expected")),
                (6, 4, "实际完成情况", form.get("goal_actual")))
    header = ("一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施")
    for col, label in enumerate(header, start=1):
        sheet.put(col, label, center=True)
    sheet.end_row(30, unruled=True)
    _indicator_rows(sheet, form.get("indicators") or [], self_eval=True)
    sheet.put(1, "总分", span=5, center=True)
    sheet.num(6, form.get("total_weight"))
    sheet.num(7, form.get("total_score"))
    sheet.end_row()
    sheet.put(1, "评分等级", span=2, center=True)
    sheet.put(3, form.get("grade"), span=7)
    sheet.end_row()
    sheet.rule(table, sheet.row - 1)
    del first


def _merged_runs(indicators: list[dict[str, Any]], key: str, within: str | None = None) -> list[int]:
    """For each row, how many rows its ``key`` cell spans (0 for rows covered by the one above)."""
    runs = [0] * len(indicators)
    start = 0
    for i in range(1, len(indicators) + 1):
        same = (i < len(indicators) and indicators[i].get(key) == indicators[start].get(key)
                and (within is None or indicators[i].get(within) == indicators[start].get(within)))
        if not same:
            runs[start] = i - start
            start = i
    return runs


def _indicator_rows(sheet: _Sheet, indicators: list[dict[str, Any]], *, self_eval: bool, offset: int = 0) -> None:
    w = WIDTHS_SELF if self_eval else WIDTHS_DECL
    level1 = _merged_runs(indicators, "level1")
    level2 = _merged_runs(indicators, "level2", within="level1")
    for i, row in enumerate(indicators):
        if level1[i]:
            sheet.put(1 + offset, row.get("level1"), down=level1[i], center=True)
        if level2[i]:
            sheet.put(2 + offset, row.get("level2"), down=level2[i], center=True)
        sheet.put(3 + offset, row.get("name"))
        if self_eval:
            sheet.put(4, row.get("target"))
            sheet.put(5, row.get("actual"))
            sheet.num(6, row.get("weight"))
            sheet.num(7, row.get("score"))
            sheet.put(8, row.get("deviation_note"), span=2)
            texts = [(row.get("name") or "", w[2]), (str(row.get("target") or ""), w[3]),
                     (str(row.get("actual") or ""), w[4]), (row.get("deviation_note") or "", w[7] + w[8])]
        else:
            sheet.put(4 + offset, row.get("target"), span=2)
            texts = [(row.get("name") or "", w[3]), (str(row.get("target") or ""), w[4] + w[5])]
        sheet.end_row(_height(texts), unruled=True)


def _target_declaration(sheet: _Sheet, form: dict[str, Any]) -> None:
    w = WIDTHS_DECL
    unit = form.get("funds_unit") or "万元"
    sheet.put(1, "财政项目支出绩效目标申报表", span=6, bold=True, center=True)
    sheet.end_row(24)
    sheet.put(1, f"（{form['year']}年度）" if form.get("year") else "", span=6, center=True)
    sheet.end_row(18)
    table = sheet.row
    for labels in ((("项目名称", "project_name"), ("项目性质", "project_nature"), ("项目类别", "project_category")),):
        for k, (label, key) in enumerate(labels):
            sheet.put(1 + 2 * k, label, center=True)
            sheet.put(2 + 2 * k, form.get(key))
        sheet.end_row(_height([(form.get("project_name") or "", w[1])]))
    sheet.put(1, "主管部门", center=True)
    sheet.put(2, form.get("competent_department"), span=2)
    sheet.put(4, "实施单位", center=True)
    sheet.put(5, form.get("implementing_unit"), span=2)
    sheet.end_row(_height([(form.get("competent_department") or "", w[1] + w[2]),
                           (form.get("implementing_unit") or "", w[4] + w[5])]))
    sheet.put(1, "计划开始日期", center=True)
    sheet.put(2, form.get("plan_start"), span=2)
    sheet.put(4, "计划完成日期", center=True)
    sheet.put(5, form.get("plan_end"), span=2)
    sheet.end_row()
    funds = form.get("funds") or {}
    sheet.put(1, f"项目资金\n（{unit}）", down=4, center=True)
    for left, right in ((("项目资金总额：", "project_total"), ("年度资金申请总额：", "annual_total")),
                        (("其中：财政资金", "project_fiscal"), ("其中：当年财政拨款", "current_year_appropriation")),
                        ((None, None), ("上年结转资金", "prior_year_carryover")),
                        (("其他资金", "project_other"), ("其他资金", "other"))):
        if left[0]:
            sheet.put(2, left[0])
            sheet.num(3, funds.get(left[1]))
        sheet.put(4, right[0])
        sheet.num(5, funds.get(right[1]), span=2)
        sheet.end_row()
    _goal_block(sheet, w, "项目绩效目标", (2, 2, "项目总目标", form.get("goal_overall")),
                (4, 3, "年度总体目标", form.get("goal_annual")))
    indicators = form.get("indicators") or []
    sheet.put(1, "绩效指标", down=len(indicators) + 1, center=True)
    for col, label in enumerate(("一级指标", "二级指标", "三级指标", "年度（/项目）指标值"), start=2):
        sheet.put(col, label, center=True, span=2 if col == 5 else 1)
    sheet.end_row(unruled=True)
    _indicator_rows(sheet, indicators, self_eval=False, offset=1)
    sheet.rule(table, sheet.row - 1)


def build_workbook(forms: list[dict[str, Any]], *, partial: bool = False) -> bytes:
    """The forms of one document in one worksheet, A4 landscape, fitted to the page width."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.pagebreak import Break

    workbook = Workbook()
    ws = workbook.active
    declaration = bool(forms) and forms[0].get("form_type") == "target_declaration"
    widths = WIDTHS_DECL if declaration else WIDTHS_SELF
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    sheet = _Sheet(ws, len(widths), partial)
    year = next((f.get("year") for f in forms if f.get("year")), "")
    for n, form in enumerate(forms):
        if n and n % 3 == 0:      # a manual page break now and then; elsewhere LibreOffice paginates
            ws.row_breaks.append(Break(id=sheet.row - 1))
        (_target_declaration if form.get("form_type") == "target_declaration" else _self_evaluation)(sheet, form)
        sheet.row += 1             # a blank row between forms
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.oddHeader.center.text = f"{year}年度项目支出绩效资料"
    ws.oddFooter.center.text = "第&P页,共&N页"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def to_pdf(xlsx: bytes, *, timeout: float = 180) -> bytes:
    """The workbook printed to PDF by LibreOffice headless (text layer, vector rules)."""
    binary = soffice()
    if binary is None:
        raise RuntimeError("LibreOffice (soffice) is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "forms.xlsx"
        source.write_bytes(xlsx)
        subprocess.run([binary, f"-env:UserInstallation=file://{tmp}/profile", "--headless",
                        "--convert-to", "pdf", "--outdir", tmp, str(source)],
                       check=True, capture_output=True, timeout=timeout)
        return (Path(tmp) / "forms.pdf").read_bytes()


# ---------------------------------------------------------------- the scan


def _stamp_seal(page: Any, rect: Any, text: str) -> None:
    """A round red seal (ring, star, the unit's name) centred on ``rect``."""
    import pymupdf

    centre = pymupdf.Point((rect.x0 + rect.x1) / 2, (rect.y0 + rect.y1) / 2)
    radius = 30
    shape = page.new_shape()
    shape.draw_circle(centre, radius)
    shape.finish(color=SEAL_RED, width=2.2)
    shape.draw_circle(centre, radius - 4)
    shape.finish(color=SEAL_RED, width=0.6)
    shape.commit()
    size = 6.5
    label = text[:10]
    for k, char in enumerate(label):      # the name along the upper arc
        angle = math.pi * (0.9 - 0.8 * k / max(len(label) - 1, 1))
        x = centre.x + (radius - 11) * math.cos(angle) - size / 2
        y = centre.y - (radius - 11) * math.sin(angle) + size / 2
        page.insert_text((x, y), char, fontname="china-s", fontsize=size, color=SEAL_RED)
    page.insert_text((centre.x - 7, centre.y + 6), "★", fontname="china-s", fontsize=16, color=SEAL_RED)
    page.insert_text((centre.x - 13, centre.y + 18), "财务专用章", fontname="china-s", fontsize=5, color=SEAL_RED)


def _seal_targets(forms: list[dict[str, Any]]) -> list[str]:
    """The printed texts a seal goes over: the first form's unit name and a total score."""
    targets = []
    for form in forms[:1]:
        if form.get("implementing_unit"):
            targets.append(form["implementing_unit"])
    for form in forms[1:2]:
        if form.get("total_score") is not None:
            targets.append(f"{form['total_score']:.2f}" if isinstance(form["total_score"], float) else str(form["total_score"]))
    return targets


def scan_pages(pdf: bytes, forms: list[dict[str, Any]], *, seed: int) -> list[bytes]:
    """The printed PDF as scanned pages (JPEG): seals in red ink, rotation, noise, JPEG."""
    import cv2
    import numpy as np
    import pymupdf

    rng = random.Random(seed)
    document = pymupdf.open(stream=pdf, filetype="pdf")
    seals = pymupdf.open()                 # the seals on blank pages, multiplied in as ink is
    for page in document:
        seals.new_page(width=page.rect.width, height=page.rect.height)
    stamped: set[str] = set()
    for target in _seal_targets(forms):
        for page in document:
            hits = page.search_for(target)
            if hits and target not in stamped:
                _stamp_seal(seals[page.number], hits[0], forms[0].get("competent_department") or "单位")
                stamped.add(target)

    def pixels(page: Any) -> Any:
        pix = page.get_pixmap(dpi=SCAN_DPI, colorspace=pymupdf.csRGB, alpha=False)
        return np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width, 3).astype(np.float32)

    pages = []
    for page in document:
        inked = pixels(page) * pixels(seals[page.number]) / 255.0
        image = cv2.cvtColor(inked.astype(np.uint8), cv2.COLOR_RGB2BGR)
        angle = rng.uniform(-0.8, 0.8)
        h, w = image.shape[:2]
        matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        image = cv2.warpAffine(image, matrix, (w, h), borderValue=(250, 250, 248))
        image = cv2.GaussianBlur(image, (3, 3), 0)
        noise = np.random.default_rng(rng.randrange(2**32)).normal(0, 6, image.shape)
        image = np.clip(image.astype(np.float32) + noise, 0, 255).astype(np.uint8)
        ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 70])
        assert ok
        pages.append(jpeg.tobytes())
    document.close()
    seals.close()
    return pages


def render_document(forms: list[dict[str, Any]], name: str) -> dict[str, Any]:
    """Every variant of one document: ``{variant: pdf bytes}``, ``office-pages``: a list of JPEGs."""
    seed = zlib.crc32(name.encode())
    printed = to_pdf(build_workbook(forms))
    pages = scan_pages(printed, forms, seed=seed)
    return {"office-pdf": printed, "office-partial": to_pdf(build_workbook(forms, partial=True)),
            "office-scan": images_to_pdf(pages), "office-pages": pages}


def main(argv: list[str] | None = None) -> None:
    from eval.dataset import DATA_DIR, load_cases

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--data", type=Path, default=DATA_DIR)
    args = parser.parse_args(argv)
    if soffice() is None:
        raise SystemExit("LibreOffice (soffice) is not installed: make office")
    for case in load_cases(args.data):
        rendered = render_document(case.gold, case.name)
        folder = args.outdir / case.name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{case.name}.xlsx").write_bytes(build_workbook(case.gold))
        for variant in ("office-pdf", "office-partial", "office-scan"):
            (folder / f"{case.name}.{variant}.pdf").write_bytes(rendered[variant])
        for number, jpeg in enumerate(rendered["office-pages"], start=1):
            (folder / "pages").mkdir(exist_ok=True)
            (folder / "pages" / f"p{number:02d}.jpg").write_bytes(jpeg)
        print(folder)


if __name__ == "__main__":
    main()


# ---------------------------------------------------------------- the eval's inputs

_printed: dict[tuple[str, bool], bytes] = {}


def _printed_pdf(name: str, forms: list[dict[str, Any]], partial: bool) -> bytes:
    """One print per document and rule style per process (LibreOffice takes seconds)."""
    key = (name, partial)
    if key not in _printed:
        _printed[key] = to_pdf(build_workbook(forms, partial=partial))
    return _printed[key]


def office_input(name: str, forms: list[dict[str, Any]], variant: str) -> tuple[bytes, str]:
    """One document in one office variant, as the bytes formex is given and their source name.
    ``office-pages`` goes through batch discovery: its JPEG pages in a folder, grouped into one
    document the way ``formex extract FOLDER`` groups them."""
    if variant in ("office-pdf", "office-partial"):
        return _printed_pdf(name, forms, variant == "office-partial"), f"{name}.{variant}.pdf"
    pages = scan_pages(_printed_pdf(name, forms, False), forms, seed=zlib.crc32(name.encode()))
    if variant == "office-scan":
        return images_to_pdf(pages), f"{name}.{variant}.pdf"
    from extractor.inputs import discover

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / name
        folder.mkdir()
        for number, jpeg in enumerate(pages, start=1):
            (folder / f"p{number:02d}.jpg").write_bytes(jpeg)
        items, _ = discover([str(folder)], max_bytes=1 << 30)
        if len(items) != 1:
            raise RuntimeError(f"{len(pages)} page images were not grouped into one document: {len(items)} items")
        return items[0].read(1 << 30), f"{name}/p01..p{len(pages):02d}.jpg"


def run_office_eval(settings: Any, data_dir: Path, *, as_json: bool = False) -> str:
    """Field F1 of every office variant beside the OCR text's, and each one's share of it, overall
    and per document. The scans' pages are OCR'd by one worker process per core."""
    import json

    from eval.runner import run_eval

    if soffice() is None:
        return "skipped: LibreOffice (soffice) is not installed (make office installs it)"
    f1 = {}
    with _pages_over_cores():
        for rendering in ("text", *VARIANTS):
            report = run_eval(settings, data_dir, rendering=rendering)
            f1[rendering] = {"f1": round(report.metrics["field_f1"]["f1"], 4), "seconds": round(report.seconds, 1),
                             "forms": report.forms_predicted, "gold_forms": report.forms_gold,
                             "documents": {name: round(row["f1"], 4)
                                           for name, row in report.metrics["per_document"].items()}}
    text = f1["text"]["f1"] or 1.0
    for rendering in VARIANTS:
        f1[rendering]["share_of_text"] = round(f1[rendering]["f1"] / text, 4)
    if as_json:
        return json.dumps(f1, indent=1)
    names = sorted(f1["text"]["documents"])
    lines = [f"{'rendering':<16} {'F1':>7} {'of text':>8} {'forms':>9} {'seconds':>8}  "
             + "  ".join(f"{name[:12]:>12}" for name in names)]
    for rendering, row in f1.items():
        share = f"{row['share_of_text']:.4f}" if "share_of_text" in row else ""
        lines.append(f"{rendering:<16} {row['f1']:>7.4f} {share:>8} {row['forms']:>4}/{row['gold_forms']:<4} "
                     f"{row['seconds']:>8.1f}  " + "  ".join(f"{row['documents'].get(name, 0.0):>12.4f}" for name in names))
    return "\n".join(lines)


def _pages_over_cores() -> Any:
    """Scanned pages OCR'd by one worker process per core (one onnxruntime thread each)."""
    import os
    from concurrent.futures import ProcessPoolExecutor

    from extractor.ingest.ocr import OcrOptions, PagePool, configure, pages_spread_over

    workers = os.cpu_count() or 1
    return pages_spread_over(PagePool(lambda: ProcessPoolExecutor(workers, initializer=configure,
                                                                  initargs=(OcrOptions(threads=1),)),
                                      ahead=2 * workers))
