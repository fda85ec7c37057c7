"""Reminder letters to patients whose follow-up visit is due or overdue: one page each, all in one PDF
(fpdf2, with the reports' fonts)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from dashboard.charts.reports import Report
from data_model.outreach.letters import ReminderLetter

ADDRESS_LINES = 3  # blank lines under the name: PainTrail keeps no postal address


def day_text(day: date) -> str:
    """'3 March 2027': a date as a letter writes it."""
    return f"{day.day} {day:%B %Y}"


class _LetterPaper(Report):
    """A report's page without the report's heading and footer: a letter is headed by the site."""

    def header(self) -> None:
        pass

    def footer(self) -> None:
        pass


def reminder_letters_pdf(letters: Sequence[ReminderLetter], site_name: str, written_on: date) -> bytes:
    """One page per letter, in the order given; signed with the site's name (or 'the clinic')."""
    site = site_name.strip() or "The clinic"
    sender = site_name.strip() or "the clinic"
    paper = _LetterPaper("Follow-up reminder letters", site)
    paper.set_margins(25, 25, 25)
    for letter in letters:
        paper.add_page()
        paper.set_font(paper.family, "B", 14)
        paper.multi_cell(0, 8, paper.text_of(site), new_x="LMARGIN", new_y="NEXT")
        paper.set_font(paper.family, "", 11)
        paper.cell(0, 6, paper.text_of(day_text(written_on)), align="R", new_x="LMARGIN", new_y="NEXT")
        paper.ln(8)
        paper.multi_cell(0, 6, paper.text_of(letter.name or ""), new_x="LMARGIN", new_y="NEXT")
        for _ in range(ADDRESS_LINES):  # room to write the address by hand or stick a label
            paper.cell(0, 7, "_" * 45, new_x="LMARGIN", new_y="NEXT")
        paper.ln(12)
        paper.set_font(paper.family, "B", 11)
        paper.multi_cell(0, 6, paper.text_of(f"Your {letter.follow_up} visit"), new_x="LMARGIN", new_y="NEXT")
        paper.ln(4)
        paper.set_font(paper.family, "", 11)
        greeting = f"Dear {letter.name}," if letter.name else "Dear patient,"
        if letter.window_to < written_on:
            when = f"It was due around {day_text(letter.due_on)}, and we have not seen you for it yet."
        else:
            when = (
                f"It is due around {day_text(letter.due_on)}, ideally between {day_text(letter.window_from)} "
                f"and {day_text(letter.window_to)}."
            )
        body = (
            f"It is time for your {letter.follow_up} visit. {when}",
            f"Please contact {sender} to book an appointment. If you have booked it already, thank you, "
            "and please disregard this letter.",
            "These visits let us follow how you are doing; they matter even if you feel well.",
        )
        for paragraph in (greeting, *body):
            paper.multi_cell(0, 6, paper.text_of(paragraph), new_x="LMARGIN", new_y="NEXT")
            paper.ln(4)
        paper.ln(6)
        paper.multi_cell(0, 6, paper.text_of(f"Yours sincerely,\n{site}"), new_x="LMARGIN", new_y="NEXT")
    return bytes(paper.output())
