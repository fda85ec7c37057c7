"""PainTrail's store and clinical domain; knows nothing of Streamlit."""
