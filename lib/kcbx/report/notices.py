"""文书: the documents the law asks for, one Word file each under ``<township>/文书/``, for
officers to print, stamp and deliver.

- 《限期复学通知书》, from the 乡镇人民政府 to the guardian of a pupil at the ladder's top rung
  with an open case and no notice yet (seed 004: "由政府向监护人发出《限期复学通知书》，要求7天
  内务必返校"; 《中华人民共和国义务教育法》第五条 the guardian's duty, 第五十八条 批评教育，责令限
  期改正). Page 1 is delivered; page 2, the 存根 with its 送达回证 lines, stays with the township
  and says what goes back into the case log: the 发出限期复学通知书 event, dated the day of
  delivery, its 备注 the notice's number.
- 童工情况通报函, from the township and the county's education bureau to the place of work's
  education, human-resources and police departments, for a working child under 16 (the
  compliance rule child_labour).

Which documents, their numbers, file names and every field come from
``kcbx.report.forms.notices_list.document_list``, which also gives forms.xlsx its 文书清单:
the folder and the list never disagree. Every file holds full names and IDs: it is created
``0600`` from its first byte (the runner widens it to params ``share_group``), its name holds no
child's name, and nothing of leadership's (report.html, index.html) links it. Ledger text is
written as text runs, never as a field code or a link, without the characters a .docx cannot
hold (``notices_list.clean``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kcbx.analysis.model import Analysis
from kcbx.report.excel import BLANK_FOR_HANDWRITING, PRIVATE_FILE_MODE
from kcbx.report.forms.notices_list import (
    NOTICE,
    chinese_date,
    clean,
    document_list,
    or_handwriting,
)
from kcbx.report.forms.school import replaced_folder
from kcbx.util.files import replacing

__all__ = ["LEGAL_BASIS", "write_notices", "notice_fields", "mark_documents", "document_text"]

LEGAL_BASIS = "《中华人民共和国义务教育法》第五条、第五十八条"
ARTICLE_5 = "适龄儿童、少年的父母或者其他法定监护人应当依法保证其按时入学接受并完成义务教育。"
ARTICLE_58 = ("适龄儿童、少年的父母或者其他法定监护人无正当理由未依照本法规定送适龄儿童、少年入学接受义务教育的，"
              "由当地乡镇人民政府或者县级人民政府教育行政部门给予批评教育，责令限期改正。")
LABOUR_BASIS = "《中华人民共和国义务教育法》第十四条、《禁止使用童工规定》（国务院令第364号）第二条"
ARTICLE_14 = "禁止用人单位招用应当接受义务教育的适龄儿童、少年。"
CHILD_LABOUR_ARTICLE_2 = "国家机关、社会团体、企业事业单位、民办非企业单位或者个体工商户均不得招用不满16周岁的未成年人。"
LABOUR_ADDRESSEES = "教育、人社、公安部门"
DATE_BY_HAND = "＿＿＿＿年＿＿月＿＿日"

TITLE_FONT, BODY_FONT = "宋体", "仿宋"
STUB = "存根"  # page 2's title ends with it: "限期复学通知书（存根）"


def _government(analysis: Analysis) -> str:
    return f"{analysis.township}人民政府"


def _bureau(analysis: Analysis) -> str:
    return clean(analysis.params.office.unit) or f"{analysis.params.county}教育局"


def notice_fields(document: pd.Series, analysis: Analysis) -> list[tuple[str, str]]:
    """The labelled fields of a document's 存根 (page 2), in order, every one filled: a value the
    ledgers do not give is a line to fill in by hand (BLANK_FOR_HANDWRITING)."""
    fields = [
        ("文书编号", document["doc_number"]),
        ("学生姓名", or_handwriting(document["name"])),
        ("性别", or_handwriting(document["gender"])),
        (document["id_label"], or_handwriting(document["id_value"])),
        ("学校", or_handwriting(document["school"])),
        ("年级班级", or_handwriting(document["grade_class"])),
        ("监护人", or_handwriting(document["guardian"])),
        ("联系电话", or_handwriting(document["phone"])),
        ("家庭住址", or_handwriting(document["address"])),
    ]
    if document["document"] == NOTICE:
        fields += [
            ("无故缺勤", f"自{chinese_date(document['streak_start'])}起连续{document['streak']}个上课日"
                         f"（至{chinese_date(document['last_absent'])}）"),
            ("依据", LEGAL_BASIS),
            ("限期返校", f"送达之日起{analysis.params.notice_days}日内；落款当日送达的，于{chinese_date(document['due'])}前"
                         + (f"（{document['due_moved']}）" if document["due_moved"] else "")),
            ("发文单位", _government(analysis)),
        ]
    else:
        fields += [
            ("出生日期", chinese_date(document["born"]) if pd.notna(document["born"]) else BLANK_FOR_HANDWRITING),
            ("年龄", f"{document['age']}周岁（未满16周岁）" if pd.notna(document["age"]) else BLANK_FOR_HANDWRITING),
            ("辍学原因", or_handwriting(document["cause"])),
            ("去向（务工地）", or_handwriting(document["destination"])),
            ("依据", LABOUR_BASIS),
            ("发往", f"务工地{LABOUR_ADDRESSEES}"),
            ("发文单位", f"{_government(analysis)}、{_bureau(analysis)}"),
        ]
    fields += [
        ("包保责任人", or_handwriting(document["owners"])),
        ("落款日期", chinese_date(document["issued"])),
    ]
    return fields


# --- the .docx ---------------------------------------------------------------------------


def _new_document(title: str, analysis: Analysis):
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)  # A4
    section.top_margin = section.bottom_margin = Cm(2.5)
    section.left_margin = section.right_margin = Cm(2.6)
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = BODY_FONT, Pt(13)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    normal.paragraph_format.space_after = Pt(4)
    normal.paragraph_format.line_spacing = 1.3
    properties = doc.core_properties
    properties.title, properties.author, properties.last_modified_by = title, _government(analysis), "kcbx"
    properties.comments = properties.keywords = properties.subject = ""
    return doc


def _run(paragraph, text: str, *, size: float | None = None, bold: bool = False, font: str | None = None,
         red: bool = False):
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    run = paragraph.add_run(text)  # text, never a field or a link
    run.bold = bold or None
    if size:
        run.font.size = Pt(size)
    if font:
        run.font.name = font
        run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)
    if red:
        run.font.color.rgb = RGBColor(0xC0, 0x00, 0x00)
    return run


def _paragraph(doc, text: str = "", *, align: str = "left", indent: bool = False, **style):
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    paragraph = doc.add_paragraph()
    paragraph.alignment = {"left": WD_ALIGN_PARAGRAPH.JUSTIFY, "center": WD_ALIGN_PARAGRAPH.CENTER,
                           "right": WD_ALIGN_PARAGRAPH.RIGHT}[align]
    if indent:
        paragraph.paragraph_format.first_line_indent = Pt(26)  # two characters
    if text:
        _run(paragraph, text, **style)
    return paragraph


def _title(doc, text: str) -> None:
    _paragraph(doc, text, align="center", size=20, bold=True, font=TITLE_FONT)


def _fields_table(doc, fields: list[tuple[str, str]]) -> None:
    from docx.shared import Cm

    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in fields:
        cells = table.add_row().cells
        cells[0].width, cells[1].width = Cm(3.6), Cm(12.2)
        _run(cells[0].paragraphs[0], label, bold=True)
        _run(cells[1].paragraphs[0], value)


def _signature(doc, units: list[str], issued) -> None:
    _paragraph(doc)
    for unit in units:
        _paragraph(doc, f"{unit}（盖章）", align="right")
    _paragraph(doc, chinese_date(issued), align="right")


def _notice_pages(doc, document: pd.Series, analysis: Analysis) -> None:
    """Page 1, delivered to the guardian; page 2, the township's 存根 and 送达回证."""
    params = analysis.params
    top = max(params.escalation)
    name, school = or_handwriting(document["name"]), or_handwriting(document["school"])
    guardian = or_handwriting(document["guardian"])
    _paragraph(doc, _government(analysis), align="center", size=16, bold=True, font=TITLE_FONT)
    _title(doc, NOTICE)
    _paragraph(doc, f"编号：{document['doc_number']}", align="right")
    _paragraph(doc, f"{guardian}（学生{name}的监护人）：")
    _paragraph(doc, (f"你（们）的子女{name}（{document['id_label']}：{or_handwriting(document['id_value'])}），"
                     f"系{school}{or_handwriting(document['grade_class'])}学生，自{chinese_date(document['streak_start'])}"
                     f"起无故不到校，至{chinese_date(document['last_absent'])}已连续{document['streak']}个上课日未到校上课，"
                     f"已达连续{top}天未到校、由学校报告乡镇人民政府的情形。"), indent=True)
    _paragraph(doc, f"《中华人民共和国义务教育法》第五条规定：“{ARTICLE_5}”第五十八条规定：“{ARTICLE_58}”",
               indent=True)
    moved = f"；{document['due_moved']}" if document["due_moved"] else ""
    _paragraph(doc, (f"依据上述规定，现责令你（们）自本通知送达之日起{params.notice_days}日内送{name}到{school}"
                     f"复学（本通知于落款当日送达的，应于{chinese_date(document['due'])}前返校{moved}）。"
                     "逾期仍不送子女复学的，将依法作进一步处理。"), indent=True)
    if document["owners"]:
        _paragraph(doc, f"联系人：{document['owners']}。", indent=True)
    _signature(doc, [_government(analysis)], document["issued"])
    _paragraph(doc)
    _paragraph(doc, f"监护人签收：{BLANK_FOR_HANDWRITING}　　签收日期：{DATE_BY_HAND}")

    _stub_page(doc, document, analysis, "存档，不送达监护人",
               [f"送达日期：{DATE_BY_HAND}　　送达人：{BLANK_FOR_HANDWRITING}",
                f"送达方式：{BLANK_FOR_HANDWRITING}　　监护人签收：{BLANK_FOR_HANDWRITING}"])


def _letter_pages(doc, document: pd.Series, analysis: Analysis) -> None:
    """Page 1, sent to the place of work's departments; page 2, the 存根 kept by the township."""
    name, school = or_handwriting(document["name"]), or_handwriting(document["school"])
    destination = clean(document["destination"])
    addressee = f"务工地（{destination}）{LABOUR_ADDRESSEES}" if destination else f"务工地{LABOUR_ADDRESSEES}"
    units = [_government(analysis), _bureau(analysis)]
    _title(doc, "关于未满16周岁辍学学生外出务工情况的通报函")
    _paragraph(doc, f"编号：{document['doc_number']}", align="right")
    _paragraph(doc, f"{addressee}：")
    born = f"，{chinese_date(document['born'])}出生" if pd.notna(document["born"]) else ""
    age = f"截至{chinese_date(document['issued'])}年仅{document['age']}周岁，" if pd.notna(document["age"]) else ""
    opened = f"于{chinese_date(document['opened'])}登记辍学，" if pd.notna(document["opened"]) else ""
    facts = "；".join(part for part in (f"辍学原因：{document['cause']}" if document["cause"] else None,
                                        f"去向：{destination}" if destination else None) if part)
    # "示例县平孟镇初级中学", not "示例县平孟镇平孟镇初级中学".
    place = school if school.startswith(analysis.township) else f"{analysis.township}{school}"
    _paragraph(doc, (f"{analysis.params.county}{place}{or_handwriting(document['grade_class'])}学生"
                     f"{name}（{or_handwriting(document['gender'])}，{document['id_label']}："
                     f"{or_handwriting(document['id_value'])}{born}），{opened}{facts + '。' if facts else ''}"
                     f"{age}未满16周岁，现外出务工。其监护人：{or_handwriting(document['guardian'])}，"
                     f"家庭住址：{or_handwriting(document['address'])}。"), indent=True)
    _paragraph(doc, (f"《中华人民共和国义务教育法》第十四条规定：“{ARTICLE_14}”《禁止使用童工规定》（国务院令第364号）"
                     f"第二条规定：“{CHILD_LABOUR_ARTICLE_2}”现将该生情况通报贵单位，恳请协助查明其务工单位，"
                     "依法制止使用童工行为，并配合我方做好劝返复学工作。"), indent=True)
    office = analysis.params.office
    contact = "；".join(part for part in (document["owners"], clean(office.contact), clean(office.phone)) if part)
    _paragraph(doc, f"联系人：{contact or BLANK_FOR_HANDWRITING}。", indent=True)
    _signature(doc, units, document["issued"])

    _stub_page(doc, document, analysis, "存档",
               [f"发出日期：{DATE_BY_HAND}　　经办人：{BLANK_FOR_HANDWRITING}",
                f"实际发往单位：{BLANK_FOR_HANDWRITING}"])


def _stub_page(doc, document: pd.Series, analysis: Analysis, kept: str, lines: list[str]) -> None:
    """Page 2, the 存根 the township keeps: "<document>（存根）", "本联由<township>人民政府<kept>。",
    the fields (``notice_fields``), the lines to fill by hand, and what goes back into the case log."""
    doc.add_page_break()
    _title(doc, f"{document['document']}（{STUB}）")
    _paragraph(doc, f"本联由{_government(analysis)}{kept}。", align="center")
    _fields_table(doc, notice_fields(document, analysis))
    _paragraph(doc)
    for line in lines:
        _paragraph(doc, line)
    _paragraph(doc)
    _paragraph(doc, document["log_entry"] + "。", bold=True)


def _save(doc, path: Path) -> None:
    """Saved whole (a temporary file renamed into place), 0600 from its first byte."""
    with replacing(path, mode=PRIVATE_FILE_MODE) as temporary:
        doc.save(str(temporary))


def write_notices(analysis: Analysis, folder: str | Path, documents: pd.DataFrame | None = None) -> list[Path]:
    """Write ``<folder>/<file_name>`` for every row of ``document_list`` (a township's; the
    county has none) and return their paths. The folder is replaced whole, as 学校/ is
    (``forms.school``): written beside it under a hidden name and renamed into place, so a
    document no longer due (its notice logged, the child back) leaves no file behind."""
    if analysis.township is None:
        raise ValueError("文书 are a township's: its 乡镇人民政府 issues them")
    documents = document_list(analysis) if documents is None else documents
    folder = Path(folder)
    with replaced_folder(folder) as staging:
        for _, document in documents.iterrows():
            doc = _new_document(document["document"], analysis)
            if document["document"] == NOTICE:
                _notice_pages(doc, document, analysis)
            else:
                _letter_pages(doc, document, analysis)
            _save(doc, staging / document["file_name"])
    return [folder / name for name in documents["file_name"]]


def document_text(path: str | Path) -> str:
    """A document's text, paragraphs and table rows in order, one line each ("label：value" for
    a row of the 存根), headers first: what a test or an officer's search reads."""
    from docx import Document

    doc = Document(str(path))
    lines = [p.text for section in doc.sections for p in section.header.paragraphs if p.text]
    body = doc.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append("".join(t.text or "" for t in child.iter() if t.tag.endswith("}t")))
        elif tag == "tbl":
            for row in child.iter():
                if row.tag.endswith("}tr"):
                    cells = ["".join(t.text or "" for t in cell.iter() if t.tag.endswith("}t"))
                             for cell in row if cell.tag.endswith("}tc")]
                    lines.append("：".join(cells))
    return "\n".join(lines)


def mark_documents(folder: str | Path, line: str, replaces: str | None = None) -> list[Path]:
    """Put ``line`` (a kept report's "本报告为上次结果…") in red bold in the header of every page of
    every .docx in ``folder``; a header already starting with ``replaces`` is rewritten instead.
    Each file is written anew (0600) and renamed over its copy: a hard link of it elsewhere keeps
    the old content. A file that cannot be read as a document is removed rather than left looking
    current. Returns the files marked."""
    from docx import Document

    from kcbx.outputs import NOTICE_SUFFIX

    folder = Path(folder)
    marked = []
    for path in sorted(folder.glob("*" + NOTICE_SUFFIX)) if folder.is_dir() else []:
        if path.name.startswith(".") or path.is_symlink() or not path.is_file():
            continue
        try:
            doc = Document(str(path))
        except Exception:  # not a document (python-docx raises several kinds): no old file passes for new
            path.unlink()
            continue
        for section in doc.sections:
            header = section.header
            header.is_linked_to_previous = False
            paragraph = header.paragraphs[0] if header.paragraphs else header.add_paragraph()
            if paragraph.text and not (replaces and paragraph.text.startswith(replaces)):
                paragraph = paragraph.insert_paragraph_before()
            for run in list(paragraph.runs):
                run._element.getparent().remove(run._element)
            _run(paragraph, line, bold=True, red=True)
        _save(doc, path)
        marked.append(path)
    return marked
