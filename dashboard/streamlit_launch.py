"""`python -m dashboard.streamlit_launch run APP ...`: Streamlit with the app's heavy libraries imported first."""

# The first script run of a server process would otherwise import pandas, plotly, SQLAlchemy and
# lifelines itself (about 2 s on a small machine), and the first clinician after a start would wait
# for them. Only third-party libraries: the app's own modules define Streamlit caches, which must be
# created inside the running server.

from __future__ import annotations

import importlib

PRELOADED = ("numpy", "pandas", "pyarrow", "plotly.graph_objects", "plotly.express", "sqlalchemy.orm", "lifelines")

if __name__ == "__main__":
    for name in PRELOADED:
        importlib.import_module(name)

    from streamlit.web.cli import main

    main(prog_name="streamlit")  # the same command line as `python -m streamlit` gives
