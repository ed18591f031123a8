"""A children file shaped like a social-care system's SSDA903 export, with the columns a PEP needs.

    .venv/bin/python -m benchmarks.imports.ssda903_file OUT.csv [--rows 10000] [--seed 2026]

One row per episode of care, as the return has them: each child's episodes follow one another
(X1 between episodes of one period of care, a leaving-care reason at the end of a period, some
children coming back into care), legal statuses, placements and providers in roughly the
proportions the national statistics show (most children on full care orders in foster care),
partial home postcodes and full placement postcodes, Ofsted URNs for children's homes, valid
UPNs (or UN codes), a few UASC children, children placed out of area and children with no
school place. Every date is on or before 31 March 2026, so no date is ever in the future.
Seeded, so the same arguments write the same bytes. The schools and social workers the rows
name are `SCHOOL_URNS` and `SOCIAL_WORKER_EMAILS`: add them before importing the file.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

from portal.imports.ssda903_rows import upn_check_letter

COLUMNS = (
    "CHILD", "FORENAME", "SURNAME", "SEX", "DOB", "ETHNIC", "UPN", "UASC", "DECOM", "RNE",
    "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC", "HOME_POST", "PL_POST", "URN",
    "PLACED_LA", "SCHOOL_URN", "NO_SCHOOL_PLACE", "SW_EMAIL",
)  # fmt: skip
AS_OF = date(2026, 3, 31)
SCHOOL_URNS = tuple(str(urn) for urn in range(200_000, 200_400))
SOCIAL_WORKER_EMAILS = tuple(f"social.worker{n:03d}@testshire.gov.uk" for n in range(80))

FORENAMES = (
    "Olivia", "Amelia", "Isla", "Ava", "Ivy", "Freya", "Lily", "Florence", "Mia", "Willow",
    "Noah", "Oliver", "George", "Arthur", "Muhammad", "Leo", "Harry", "Oscar", "Archie",
    "Henry", "Zoë", "Chloé", "Seán", "Aoife", "Siân", "Dylan", "Kai", "Yonas", "Amir", "Priya",
    "Jayden", "Tyler", "Ruby", "Jade", "Maja", "Kacper", "Fatima", "Aisha", "Ibrahim", "Chidi",
)  # fmt: skip
SURNAMES = (
    "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas",
    "Johnson", "Roberts", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards",
    "Hughes", "Green", "Hall", "O'Brien", "Nowak", "Kowalski", "Ahmed", "Khan", "Ali",
    "Hussain", "Okafor", "Adeyemi", "Mensah", "Tesfay", "Da Silva", "MacDonald", "Ní Bhriain",
)  # fmt: skip
ETHNICITIES = (
    ("WBRI", 70), ("WOTH", 5), ("MWBC", 5), ("MOTH", 4), ("BAFR", 4), ("AOTH", 2), ("APKN", 2),
    ("BCRB", 2), ("OOTH", 2), ("WROM", 1), ("CHNE", 1), ("NOBT", 2),
)  # fmt: skip
PLACEMENTS = (("U4", 30), ("U6", 25), ("U1", 8), ("U3", 8), ("K2", 12), ("H5", 5), ("P1", 5),
              ("A6", 2), ("S1", 1), ("R1", 1), ("K1", 1), ("U5", 1), ("K3", 1))  # fmt: skip
PROVIDERS = (("PR1", 50), ("PR4", 40), ("PR5", 8), ("PR2", 2))
FIRST_STATUSES = (("V2", 45), ("C1", 35), ("L2", 8), ("L1", 5), ("J1", 3), ("V3", 3), ("V4", 1))
LATER_STATUSES = (("C2", 70), ("E1", 10), ("C1", 8), ("V2", 10), ("D1", 1), ("J3", 1))
NEEDS = (("N1", 65), ("N4", 8), ("N5", 12), ("N2", 4), ("N8", 7), ("N6", 2), ("N3", 2))
LEAVING = (("E4A", 20), ("E13", 8), ("E11", 10), ("E45", 6), ("E47", 5), ("E41", 4),
           ("E17", 8), ("E5", 6), ("E8", 5), ("E3", 2), ("E4B", 3))  # fmt: skip
OUTWARD = ("WR1", "WR2", "WR3", "WR4", "WR5", "WR9", "WR10", "WR11", "WR14", "DY10", "DY11",
           "DY13", "B60", "B61", "B97", "B98")  # fmt: skip
OTHER_AUTHORITIES = (("Birmingham", "B12"), ("Herefordshire", "HR1"), ("Gloucestershire", "GL1"),
                     ("Shropshire", "SY1"), ("Warwickshire", "CV34"))  # fmt: skip
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
NO_PLACE_REASONS = ("not_on_roll", "education_otherwise", "neet", "no_early_years_setting")


def _pick(chooser: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return chooser.choices([c for c, _ in weighted], [w for _, w in weighted])[0]


def _day(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def _postcode(chooser: random.Random, outward: str) -> str:
    letters = chooser.choice(INWARD_LETTERS) + chooser.choice(INWARD_LETTERS)
    return f"{outward} {chooser.randint(1, 9)}{letters}"


def _upn(chooser: random.Random) -> str:
    body = f"881{chooser.randint(1000, 9999)}{chooser.randint(10, 26)}{chooser.randint(0, 999):03d}"
    return upn_check_letter(body) + body


def child_rows(number: int, chooser: random.Random) -> list[dict[str, str]]:
    """One child's rows: their facts, and their episodes in date order."""
    born = AS_OF - timedelta(days=chooser.randint(200, 17 * 365))
    uasc = chooser.random() < 0.07 and (AS_OF - born).days > 12 * 365
    out_of_area = chooser.random() < 0.25
    age = (AS_OF - born).days // 365
    no_place = age < 3 or chooser.random() < 0.03
    facts = {
        "CHILD": f"CH{number:06d}",
        "FORENAME": chooser.choice(FORENAMES),
        "SURNAME": chooser.choice(SURNAMES),
        "SEX": chooser.choice("12"),
        "DOB": _day(born),
        "ETHNIC": "BAFR" if uasc and chooser.random() < 0.5 else _pick(chooser, ETHNICITIES),
        "UPN": "UN2" if uasc else ("UN1" if age < 4 else _upn(chooser)),
        "UASC": "Y" if uasc else ("N" if chooser.random() < 0.5 else ""),
        "HOME_POST": f"{chooser.choice(OUTWARD)} {chooser.randint(1, 9)}",
        "SCHOOL_URN": "" if no_place else chooser.choice(SCHOOL_URNS),
        "NO_SCHOOL_PLACE": (
            ("no_early_years_setting" if age < 3 else chooser.choice(NO_PLACE_REASONS))
            if no_place
            else ""
        ),
        "SW_EMAIL": chooser.choice(SOCIAL_WORKER_EMAILS),
    }
    episodes = chooser.choices((1, 2, 3, 4, 5, 6), (18, 22, 22, 16, 12, 10))[0]
    earliest = max(born, AS_OF - timedelta(days=8 * 365))
    start = earliest + timedelta(days=chooser.randint(0, max(0, (AS_OF - earliest).days - 40)))
    status = _pick(chooser, FIRST_STATUSES)
    need = _pick(chooser, NEEDS)
    rows: list[dict[str, str]] = []
    rne = "S"
    for index in range(episodes):
        last = index == episodes - 1
        remaining = (AS_OF - start).days
        place = _pick(chooser, PLACEMENTS)
        provider = (
            "" if place in ("T0", "T1", "T2", "T3", "T4", "Z1") else _pick(chooser, PROVIDERS)
        )
        authority, outward = (
            chooser.choice(OTHER_AUTHORITIES) if out_of_area else ("", chooser.choice(OUTWARD))
        )
        row = {
            **facts,
            "DECOM": _day(start),
            "RNE": rne,
            "LS": status,
            "CIN": need,
            "PLACE": place,
            "PLACE_PROVIDER": provider,
            "PL_POST": "" if status in ("V3", "V4") else _postcode(chooser, outward),
            "URN": f"SC{chooser.randint(0, 999_999):06d}" if place in ("K1", "K2") else "",
            "PLACED_LA": authority,
            "DEC": "",
            "REC": "",
        }
        rows.append(row)
        if remaining < 2 or (last and chooser.random() < 0.8):
            break
        end = start + timedelta(days=chooser.randint(1, max(1, min(remaining - 1, 700))))
        leaves = last or chooser.random() < 0.08
        row["DEC"] = _day(end)
        row["REC"] = _pick(chooser, LEAVING) if leaves else "X1"
        if row["REC"] in ("E11", "E12"):
            row["PLACE"], row["PLACE_PROVIDER"], row["URN"] = "A6", "PR1", ""
        if last:
            break
        if leaves:  # back into care some months later: a new period of care
            start = end + timedelta(days=chooser.randint(30, 400))
            if start >= AS_OF:
                break
            rne, status = "S", _pick(chooser, FIRST_STATUSES)
        else:
            start = end
            rne = chooser.choice("LPTBU")
            if rne in ("L", "B", "U"):
                status = _pick(chooser, LATER_STATUSES)
    return rows


def generated_rows(rows: int, seed: int) -> Iterator[dict[str, str]]:
    """`rows` episode rows, a child's rows together."""
    chooser = random.Random(seed)
    written = 0
    number = 1
    while written < rows:
        kept = child_rows(number, chooser)[: rows - written]
        if kept[-1]["REC"] == "X1":  # the file ends mid-way through this child: keep it open
            kept[-1]["DEC"] = kept[-1]["REC"] = ""
        written += len(kept)
        yield from kept
        number += 1


def file_bytes(rows: list[dict[str, str]]) -> bytes:
    """UTF-8 with a byte order mark and CRLF line ends, as Excel's 'CSV UTF-8' saves it."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2026)
    arguments = parser.parse_args()
    arguments.out.write_bytes(file_bytes(list(generated_rows(arguments.rows, arguments.seed))))


if __name__ == "__main__":
    main()
