"""Page state kept in the URL's query parameters, so that a reload, a bookmark or a link restores it.

Readers take only what a page could have written: an option it offers, a date it allows, a range
within its bounds; anything else in a hand-edited link is ignored rather than trusted."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import streamlit as st


def chosen(name: str, options: Iterable[str]) -> list[str]:
    """The values of a repeated parameter (?flag=A&flag=B) that are among the options, in URL order."""
    allowed = set(options)
    return [value for value in dict.fromkeys(st.query_params.get_all(name)) if value in allowed]


def day(name: str, latest: date) -> date | None:
    """An ISO date no later than `latest`, or None."""
    try:
        value = date.fromisoformat(st.query_params.get(name, ""))
    except ValueError:
        return None
    return value if value <= latest else None


def span(name: str, low: int, high: int) -> tuple[int, int] | None:
    """A range written 'a-b' within [low, high], or None."""
    first, _, last = st.query_params.get(name, "").partition("-")
    if not (first.isdigit() and last.isdigit()):
        return None
    start, end = int(first), int(last)
    return (start, end) if low <= start <= end <= high else None


def switch(name: str) -> bool:
    return st.query_params.get(name) == "yes"


def keep(name: str, value: str | list[str] | None) -> None:
    """Write a value into the URL, or drop the parameter when the value is the page's default (None, [])."""
    if value is None or value == []:
        if name in st.query_params:
            del st.query_params[name]
    elif (st.query_params.get_all(name) if isinstance(value, list) else st.query_params.get(name)) != value:
        st.query_params[name] = value
