"""Reading files as schools send them (kcbx.ingest.ledgers.read, .folder, .headers): formats, encodings, headers."""

import zipfile

import pytest
import xlsxwriter

from kcbx.ingest.ledgers import folder, headers, read

ID_A = "110105201003010014"  # valid (see test_ids)


def roster_workbook(path, extra_sheets=()):
    """A roster as schools send it: title row, blank row, merged two-row header, 合计 row.

    Row 1  XX学校学生花名册 (merged A1:G1)
    Row 2  (blank)
    Row 3  姓名 | 身份证号 | 乡 镇 | 学校名称 | 年级 | 学生类别 (merged F3:G3)
    Row 4                                           | 是否寄宿 | 留守儿童
    Row 5  张三 ...                 Row 6 (blank)     Row 7 李四 ...     Row 8 合计
    """
    workbook = xlsxwriter.Workbook(path)
    sheet = workbook.add_worksheet("花名册")
    sheet.merge_range(0, 0, 0, 6, "XX学校学生花名册")
    for col, title in enumerate(["姓名", "身份证号", "乡 镇", "学校名称", "年级"]):
        sheet.merge_range(2, col, 3, col, title)  # vertically merged: value in row 3, blank in row 4
    sheet.merge_range(2, 5, 2, 6, "学生类别")
    sheet.write_row(3, 5, ["是否寄宿", "留守儿童"])
    sheet.write_row(4, 0, ["张三", ID_A, "甲镇", "一小", "三年级", "是", "否"])
    sheet.write_row(6, 0, ["李四", ID_A, "甲镇", "一小", "初一", "否", "是"])
    sheet.write_row(7, 0, ["合计", "2人"])
    for name, rows in extra_sheets:
        extra = workbook.add_worksheet(name)
        for r, values in enumerate(rows):
            extra.write_row(r, 0, values)
    workbook.close()


def test_title_row_and_merged_two_row_header(tmp_path):
    path = tmp_path / "a.xlsx"
    roster_workbook(path)
    (name, grid), = read.read_grids(path)
    header = read.detect_header(grid, read.header_vocabulary("roster"))
    assert name == "花名册"
    assert header.rows == (3, 4)  # Excel rows of the two header rows
    assert header.columns == {"name": 0, "id_number": 1, "township": 2, "school": 3, "grade": 4,
                              "boarding": 5, "left_behind": 6}
    assert header.labels["boarding"] == "是否寄宿"  # the sub-header, not the group label 学生类别


def test_data_rows_skip_blank_and_total_rows_and_keep_excel_row_numbers(tmp_path):
    path = tmp_path / "a.xlsx"
    roster_workbook(path)
    sheets, findings = read.read_ledger_file(read.LedgerFile("roster", path, "学籍/a.xlsx"),
                                             read.header_vocabulary("roster"))
    rows = sheets[0].rows
    # Row 5 张三 and row 7 李四; row 6 is blank and row 8 is the 合计 row.
    assert list(rows.index) == [5, 7]
    assert list(rows["name"]) == ["张三", "李四"]
    assert rows.at[7, "grade"] == "初一"
    assert sheets[0].missing == []
    assert findings == []


def test_sheet_without_header_is_skipped_and_listed(tmp_path):
    path = tmp_path / "a.xlsx"
    roster_workbook(path, extra_sheets=[("填表说明", [["请按要求填写"], ["备注：无"]])])
    sheets, findings = read.read_ledger_file(read.LedgerFile("roster", path, "学籍/a.xlsx"),
                                             read.header_vocabulary("roster"))
    assert [s.sheet for s in sheets] == ["花名册"]
    assert findings == [read.Finding("roster", "学籍/a.xlsx", "填表说明", None, "未找到可识别的表头，已跳过该工作表")]


def test_header_matching_tolerates_spaces_full_width_parentheses_and_line_breaks():
    vocabulary = read.header_vocabulary("population")
    assert vocabulary.column_of("村（社区）") == "village"
    assert vocabulary.column_of("身份证\n号码") == "id_number"
    assert vocabulary.column_of(" 监护人 姓名 ") == "guardian"
    assert vocabulary.column_of("*姓名") == "name"


def test_params_synonym_applies_to_every_kind_that_has_the_column():
    synonyms = {"身份证号": ["证件号"], "金额": ["发放数"]}
    assert read.header_vocabulary("absence", synonyms).column_of("证件号") == "id_number"
    assert read.header_vocabulary("roster", synonyms).column_of("证件号") == "id_number"
    assert read.header_vocabulary("subsidy", synonyms).column_of("发放数") == "amount"
    assert read.header_vocabulary("roster", synonyms).column_of("发放数") is None  # a roster has no 金额


def test_unknown_synonym_keys_are_reported():
    assert headers.unknown_synonym_keys({"身份证号": ["证件号"], "住址": ["家庭住址"]}) == ["住址"]


def test_missing_required_column_names_the_header_with_its_synonyms(tmp_path):
    path = tmp_path / "b.csv"
    path.write_text(f"姓名,身份证号,学校,年级\n张三,{ID_A},一小,3\n", encoding="utf-8")
    sheets, _ = read.read_ledger_file(read.LedgerFile("roster", path, "学籍/b.csv"),
                                      read.header_vocabulary("roster"))
    assert sheets[0].missing_message == "学籍/b.csv：缺少必需的列 「乡镇」（也作：乡(镇)、乡镇(街道)、所属乡镇）"


def test_person_keyed_kind_needs_an_id_or_student_no_column(tmp_path):
    path = tmp_path / "c.xlsx"
    workbook = xlsxwriter.Workbook(path)
    workbook.add_worksheet("缺勤").write_row(0, 0, ["日期", "姓名", "缺勤类型"])
    workbook.close()
    sheets, _ = read.read_ledger_file(read.LedgerFile("absence", path, "缺勤/c.xlsx"),
                                      read.header_vocabulary("absence"))
    message = sheets[0].missing_message
    assert message.startswith("缺勤/c.xlsx，工作表「缺勤」：缺少必需的列 「身份证号」")
    assert "或「学籍号」（也作：全国学籍号、学籍辅号）" in message


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk"])
def test_csv_encodings_and_line_numbers(tmp_path, encoding):
    path = tmp_path / "d.csv"
    # Line 1 title, line 2 header, line 3 data, line 4 blank, line 5 data, line 6 小计.
    text = f"甲镇户籍儿童名单\n身份证号,姓名,乡镇,村（社区）\n{ID_A},王五,甲镇,一村\n\n{ID_A},赵六,甲镇,二村\n小计,2\n"
    path.write_bytes(text.encode(encoding))
    (sheet_name, grid), = read.read_grids(path)
    header = read.detect_header(grid, read.header_vocabulary("population"))
    rows = read.data_rows(grid, header).rows
    assert sheet_name == ""
    assert list(rows.index) == [3, 5]
    assert list(rows["village"]) == ["一村", "二村"]


def test_csv_quoted_cell_spanning_lines_keeps_later_line_numbers(tmp_path):
    path = tmp_path / "e.csv"
    # The 备注 of line 2 spans lines 2-3, so the next record starts on line 4.
    path.write_text(f'日期,身份证号,缺勤类型,备注\n2021-09-01,{ID_A},病假,"发烧\n住院"\n2021-09-02,{ID_A},事假,\n',
                    encoding="utf-8")
    (_, grid), = read.read_grids(path)
    rows = read.data_rows(grid, read.detect_header(grid, read.header_vocabulary("absence"))).rows
    assert list(rows.index) == [2, 4]


def test_garbage_file_is_a_read_error(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"this is not a spreadsheet")  # text: read as CSV, in which no header is found
    with pytest.raises(read.LedgerReadError, match="^文件名是 .xlsx，内容却是 CSV 文本.*；没有工作表含可识别的表头"):
        read.read_ledger_file(folder.LedgerFile("absence", path, "absence/broken.xlsx"),
                              read.header_vocabulary("absence"))
    path.write_bytes(b"PK\x03\x04 a broken zip")
    with pytest.raises(read.LedgerReadError, match="^无法读取 Excel 文件"):
        read.read_grids(path)


def test_formula_cells_without_value_are_found_in_the_sheet_xml(tmp_path):
    """Shared formulas, namespace prefixes and an empty <v>; a cached "" of a text formula is a value."""
    path = tmp_path / "f.xlsx"
    cells = ('<x:c r="A2"><x:f>1+1</x:f></x:c>'  # no <v>
             '<x:c r="B2" s="1"><x:f t="shared" si="0"/><x:v/></x:c>'  # a shared formula, empty <v>
             '<x:c r="C2" t="str"><x:f>""</x:f><x:v></x:v></x:c>'  # its result is "": calculated
             '<x:c r="D2"><x:f>1+1</x:f><x:v>2</x:v></x:c>'  # calculated
             '<x:c r="AA3"><x:f>1</x:f><x:v></x:v></x:c>')
    rels = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    with zipfile.ZipFile(path, "w") as workbook:
        workbook.writestr("xl/workbook.xml", f'<workbook xmlns:r="{rels}"><sheets>'
                                             '<sheet name="表一" sheetId="1" r:id="rId7"/></sheets></workbook>')
        workbook.writestr("xl/_rels/workbook.xml.rels",
                          '<Relationships><Relationship Id="rId7" Target="/xl/worksheets/s.xml"/></Relationships>')
        workbook.writestr("xl/worksheets/s.xml", f"<x:worksheet><x:sheetData>{cells}</x:sheetData></x:worksheet>")
    assert read.formulas_without_value(path, ["表一", "没有这张表"]) == {
        "表一": [(2, 0, "A2"), (2, 1, "B2"), (3, 26, "AA3")]}


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("a.xlsx", b"PK\x03\x04...", "xlsx"),
    ("a.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1...", "xls"),
    ("a.xlsx", "身份证号,姓名\n".encode("gbk"), "csv"),
])
def test_files_are_read_by_their_content(tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_bytes(content)
    assert read.file_format(path) == expected


def test_ledger_files_found_by_key_or_chinese_folder_name(tmp_path):
    (tmp_path / "学籍").mkdir()
    (tmp_path / "学籍" / "一小.xlsx").write_bytes(b"")
    (tmp_path / "学籍" / "~$一小.xlsx").write_bytes(b"")  # Excel's lock file: ignored silently
    (tmp_path / "absence" / "甲镇").mkdir(parents=True)
    (tmp_path / "absence" / "甲镇" / "9月.csv").write_bytes(b"")
    (tmp_path / "absence" / "说明.docx").write_bytes(b"")
    (tmp_path / "杂项").mkdir()
    files, findings = folder.find_ledger_files(tmp_path)
    assert [(f.kind, f.relative) for f in files] == [("absence", "absence/甲镇/9月.csv"), ("roster", "学籍/一小.xlsx")]
    assert [(f.file, f.finding) for f in findings] == [
        ("absence/说明.docx", "不支持的文件类型（需要 .xlsx/.xls/.csv），已跳过"),
        ("杂项", "文件夹名不是台账类别，已跳过"),
    ]


def test_repeated_header_row_is_not_a_data_row(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text(f"日期,身份证号,缺勤类型\n2021-09-01,{ID_A},病假\n日期,身份证号,缺勤类型\n2021-09-02,{ID_A},无故\n",
                    encoding="utf-8")
    (_, grid), = read.read_grids(path)
    rows = read.data_rows(grid, read.detect_header(grid, read.header_vocabulary("absence"))).rows
    assert list(rows.index) == [2, 4]
