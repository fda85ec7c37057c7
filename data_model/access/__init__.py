"""Who may do what: user accounts and passwords, sign-in sessions, and role permissions."""
