"""Issue 24: a header kcbx knows from another kind is not reported as unknown; a rejected row
carries its 身份证号 as written."""

import pandas as pd

from kcbx.ingest.ledgers import normalize as nz
from kcbx.ingest.ledgers import read
from kcbx.ingest.ledgers.read import Header, RawSheet
from support.builders import ID_A, TODAY


def test_a_known_header_of_another_kind_is_no_unknown_column():
    # An absence ledger keeps no grade or 村: 年级 and 村 are read by other kinds, so they are
    # ignored quietly; 家庭住址 is known to no kind and is reported. 姓名 is read only to spot a
    # 零报告 row (姓名 无缺勤).
    grid = pd.DataFrame([["日期", "身份证号", "姓名", "年级", "村", "缺勤类型", "家庭住址"],
                         ["2021-09-01", ID_A, "张三", "3", "东村", "无故", "东村1号"]], index=[3, 4])
    header = read.detect_header(grid, read.header_vocabulary("absence"))
    assert header.columns == {"date": 0, "id_number": 1, "name": 2, "absence_type": 5}
    assert header.unknown == ("家庭住址",)


def test_a_rejected_row_shows_its_id_as_written_whatever_the_reason():
    # Row 3: 学期 "2021冬" cannot be read, its ID is valid; row 4: ID_A with its last digit
    # changed (a bad checksum), shown as written; row 5: keyed by 学籍号 only, no ID to show.
    rows = pd.DataFrame([
        {"id_number": ID_A, "student_no": None, "term": "2021冬", "item": "生活补助", "amount": "250"},
        {"id_number": "110105201003010015", "student_no": None, "term": "2021秋", "item": "生活补助",
         "amount": "250"},
        {"id_number": None, "student_no": "L123", "term": "秋季", "item": "生活补助", "amount": "250"},
    ], dtype=object, index=[3, 4, 5])
    header = Header(rows=(2,), columns={c: i for i, c in enumerate(rows.columns)},
                    labels={c: c for c in rows.columns})
    result = nz.normalize_sheet(RawSheet("subsidy", "subsidy/t.xlsx", "Sheet1", header, rows), TODAY)
    assert result.rejected[["row", "id_number"]].values.tolist() == [
        [3, ID_A], [4, "110105201003010015"], [5, None]]
    assert list(result.rejected.columns)[-1] == "id_number"
