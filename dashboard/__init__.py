"""PainTrail's Streamlit app and command line."""
