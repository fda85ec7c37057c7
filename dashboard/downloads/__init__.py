"""Download buttons, and the files they make that only the sign-in that asked for them may fetch."""
