"""The app's one engine per database: created once per server process, the schema brought up to date first."""

from __future__ import annotations

import streamlit as st
from sqlalchemy import Engine

from data_model.db import make_engine, resolve_url
from data_model.migrate import SchemaUpgradeRefused, upgrade


@st.cache_resource(show_spinner=False)
def engine_for(url: str) -> Engine:
    engine = make_engine(url)
    upgrade(engine)  # bring the schema up to date once per process, before any page reads
    return engine


def database_url() -> str:
    return resolve_url()


def engine() -> Engine:
    try:
        return engine_for(database_url())
    except SchemaUpgradeRefused as refused:  # said once, in words, instead of a traceback on every page
        st.error(f"PainTrail cannot open this database: {refused}")
        st.stop()
