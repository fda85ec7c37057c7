"""Who is signed in: the sign-in and first-admin pages, the role guard, the browser's sign-in cookie and its idle limit."""
