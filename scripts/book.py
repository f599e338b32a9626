#!/usr/bin/env python3
"""Writes a made-up book of a fund manager as import files (Chinese headers, UTF-8 with BOM):

    scripts/book.py investors N OUT.csv [--owner NAME]
    scripts/book.py holdings N OUT.csv PRODUCT_CODE
    scripts/book.py assessments N OUT.csv

The same N gives the same investors (identity numbers with valid check digits, adults born
1950-1999), so a holdings or assessments file of N rows refers to the investors file of N rows.
For the import benchmark (benches/import.sh) and for trying imports by hand.
"""
import csv
import random
import sys

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CHECK = "10X98765432"


def resident_id(i):
    """The i-th identity number: region 110105, a birth date, sequence, check character."""
    rnd = random.Random(i)
    year = 1950 + rnd.randrange(50)
    month = 1 + rnd.randrange(12)
    day = 1 + rnd.randrange(28)
    birth = f"{year:04d}{month:02d}{day:02d}"
    first17 = f"110105{birth}{i % 1000:03d}"
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS))
    # Distinct for distinct i: the birth date comes from i's own generator, the sequence from i.
    return first17 + CHECK[total % 11], f"{year:04d}-{month:02d}-{day:02d}"


def ids(n):
    seen = set()
    i = 0
    while len(seen) < n:
        number, birth = resident_id(i)
        i += 1
        if number in seen:
            continue
        seen.add(number)
        yield number, birth


def investors(n, out, owner):
    head = ["客户类型", "姓名", "证件号码", "出生日期", "手机号码", "金融资产", "近三年年均收入",
            "证明类型", "证明编号", "证明日期", "销售人员"]
    out.writerow(head)
    for k, (number, birth) in enumerate(ids(n)):
        out.writerow(["个人", f"投资者{k:06d}", number, birth, f"138{k:08d}", "5000000", "600000",
                      "资产证明", f"ZC-{k:06d}", "2026-01-05", owner])


def holdings(n, out, code):
    out.writerow(["证件号码", "产品代码", "认购金额", "签约日期", "确认日期"])
    for k, (number, _) in enumerate(ids(n)):
        out.writerow([number, code, "1,000,000.00", "2024-03-01", f"2024-03-{8 + k % 20:02d}"])


def assessments(n, out):
    qs = [f"q{i}" for i in range(1, 21)]
    out.writerow(["证件号码", "问卷", "评估日期"] + qs)
    answers = ["c"] * 20
    answers[8] = "b,c"
    answers[11] = "b"
    for number, _ in ids(n):
        out.writerow([number, "individual", "2025-06-30"] + answers)


def main(argv):
    if len(argv) < 4:
        sys.exit(__doc__)
    kind, n, path = argv[1], int(argv[2]), argv[3]
    with open(path, "w", newline="", encoding="utf-8-sig") as f:
        out = csv.writer(f)
        if kind == "investors":
            owner = argv[5] if len(argv) > 5 and argv[4] == "--owner" else "sales1"
            investors(n, out, owner)
        elif kind == "holdings":
            holdings(n, out, argv[4])
        elif kind == "assessments":
            assessments(n, out)
        else:
            sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
